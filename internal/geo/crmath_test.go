package geo

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigSin is sin(x) to ~200 bits by its Taylor series in big.Float (|x| ≤ 4).
func bigSin(x float64) *big.Float {
	const prec = 256
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(prec).Mul(bx, bx)
	sum := new(big.Float).SetPrec(prec).Set(bx)
	term := new(big.Float).SetPrec(prec).Set(bx)
	for n := 2; n < 120; n += 2 {
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(n*(n+1))))
		term.Neg(term)
		sum.Add(sum, term)
	}
	return sum
}

// crSin must be the correctly rounded sine: against a 256-bit reference.
func TestCrSinCorrectlyRounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	goOff := 0
	for i := 0; i < 3000; i++ {
		x := (rng.Float64()*2 - 1) * 3.2
		want, _ := bigSin(x).Float64()
		if got := crSin(x); got != want {
			t.Fatalf("crSin(%v) = %v, want %v", x, got, want)
		}
		if math.Sin(x) != want {
			goOff++
		}
		// cos(x) = sin(π/2 - x) is not exact in floating point; check cos
		// through sin of a shifted big argument instead.
	}
	t.Logf("math.Sin off by an ulp in %d of 3000 cases", goOff)
}

func TestCrAsinCos(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for i := 0; i < 2000; i++ {
		s := rng.Float64() * 0.999
		y := crAsin(s)
		// y is within half an ulp of asin(s): sin of its neighbours must
		// bracket s (sin is increasing here).
		lo, _ := bigSin(math.Nextafter(y, 0)).Float64()
		hi, _ := bigSin(math.Nextafter(y, 2)).Float64()
		if !(lo <= s && s <= hi) {
			t.Fatalf("crAsin(%v) = %v not bracketing", s, y)
		}
		x := (rng.Float64()*2 - 1) * 1.5
		if d := math.Abs(crCos(x) - math.Cos(x)); d > 2*math.Abs(math.Nextafter(math.Cos(x), 2)-math.Cos(x)) {
			t.Fatalf("crCos(%v) = %v, math.Cos %v", x, crCos(x), math.Cos(x))
		}
	}
}
