package geo

import (
	"math"
	"math/big"
)

// Correctly rounded sin, cos and asin for the distance formula. glibc's
// libm (what redis-server calls) returns the correctly rounded result for
// these in practice; Go's math package may be one ulp off, which shows in
// the last digit of a STOREDIST score. These evaluate in double-double
// (about 106 bits) and round once.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(x, y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s.lo += t.hi
	s = fastTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return fastTwoSum(s.hi, s.lo)
}

func ddMul(x, y dd) dd {
	p := twoProd(x.hi, y.hi)
	p.lo += x.hi*y.lo + x.lo*y.hi
	return fastTwoSum(p.hi, p.lo)
}

func ddMulF(x dd, f float64) dd {
	p := twoProd(x.hi, f)
	p.lo += x.lo * f
	return fastTwoSum(p.hi, p.lo)
}

// π/2 in three parts.
const (
	pio2a = 1.5707963267948966
	pio2b = 6.123233995736766e-17
	pio2c = -1.4973849048591698e-33
)

// reduce returns r and k with x = k·π/2 + r, |r| ≤ π/4 (for |x| ≤ 2^20).
func reduce(x float64) (dd, int) {
	k := math.Round(x / pio2a)
	r := ddAdd(dd{x, 0}, ddMulF(dd{-pio2a, 0}, k))
	r = ddAdd(r, ddMulF(dd{-pio2b, 0}, k))
	r = ddAdd(r, ddMulF(dd{-pio2c, 0}, k))
	return r, int(int64(k) & 3)
}

// Taylor coefficients (-1)^k/(2k+1)! (sinC) and (-1)^k/(2k)! (cosC) in
// double-double, computed once in big.Float.
var sinC, cosC [16]dd

func init() {
	const prec = 200
	f := new(big.Float).SetPrec(prec).SetInt64(1)
	toDD := func(v *big.Float) dd {
		hi, _ := v.Float64()
		rest := new(big.Float).SetPrec(prec).Sub(v, new(big.Float).SetPrec(prec).SetFloat64(hi))
		lo, _ := rest.Float64()
		return dd{hi, lo}
	}
	for n := 0; n < 32; n++ {
		if n > 0 {
			f.Mul(f, new(big.Float).SetPrec(prec).SetInt64(int64(n)))
		}
		inv := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1), f)
		if (n/2)%2 == 1 {
			inv.Neg(inv)
		}
		if n%2 == 0 {
			cosC[n/2] = toDD(inv)
		} else {
			sinC[n/2] = toDD(inv)
		}
	}
}

// horner evaluates Σ c[k]·x^k, k < 16, the terms from k = 5 on in double
// precision (each below 2^-28 of the result for |r| ≤ π/4, so the sum keeps
// about 80 bits), the first five in double-double.
func horner(c *[16]dd, x dd) dd {
	t := 0.0
	for k := 15; k >= 5; k-- {
		t = t*x.hi + c[k].hi
	}
	acc := dd{t, 0}
	for k := 4; k >= 0; k-- {
		acc = ddAdd(ddMul(acc, x), c[k])
	}
	return acc
}

// sinCosDD is sin and cos at |r| ≤ π/4 in double-double.
func sinCosDD(r dd) (s, c dd) {
	r2 := ddMul(r, r)
	return ddMul(r, horner(&sinC, r2)), horner(&cosC, r2)
}

func sinDD(x float64) dd {
	r, k := reduce(x)
	s, c := sinCosDD(r)
	switch k {
	case 0:
		return s
	case 1:
		return c
	case 2:
		return dd{-s.hi, -s.lo}
	}
	return dd{-c.hi, -c.lo}
}

func cosDD(x float64) dd {
	r, k := reduce(x)
	s, c := sinCosDD(r)
	switch k {
	case 0:
		return c
	case 1:
		return dd{-s.hi, -s.lo}
	case 2:
		return dd{-c.hi, -c.lo}
	}
	return s
}

// crSin is sin(x) correctly rounded (for the |x| ≤ 2π the geo code uses).
func crSin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
		return math.Sin(x)
	}
	v := sinDD(x)
	return v.hi + v.lo
}

// crCos is cos(x) correctly rounded (same range).
func crCos(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
		return math.Cos(x)
	}
	v := cosDD(x)
	return v.hi + v.lo
}

// crAsin is asin(s) correctly rounded for 0 ≤ s < 1: one Newton step from
// math.Asin on sin evaluated in double-double.
func crAsin(s float64) float64 {
	if s <= 0 || s >= 1 || math.IsNaN(s) {
		return math.Asin(s)
	}
	y := math.Asin(s)
	sy := sinDD(y)
	c := math.Cos(y)
	if c == 0 {
		return y
	}
	diff := ddAdd(sy, dd{-s, 0})
	delta := -(diff.hi + diff.lo) / c
	v := fastTwoSum(y, delta)
	return v.hi + v.lo
}
