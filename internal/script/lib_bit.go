package script

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// openBit is LuaBitOp 1.0 ("bit"), as Redis bundles it: 32-bit operations
// on numbers normalised like bit.tobit.
func openBit(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 12)
	un := func(f func(int32) int32) lua.LGFunction {
		return func(L *lua.LState) int { L.Push(lua.LNumber(f(bitArg(L, 1)))); return 1 }
	}
	fold := func(f func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			r := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				r = f(r, bitArg(L, i))
			}
			L.Push(lua.LNumber(r))
			return 1
		}
	}
	shift := func(f func(a int32, n uint) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			a, n := bitArg(L, 1), uint(bitArg(L, 2))&31
			L.Push(lua.LNumber(f(a, n)))
			return 1
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit":   un(func(a int32) int32 { return a }),
		"bnot":    un(func(a int32) int32 { return ^a }),
		"bswap":   un(func(a int32) int32 { return int32(bits.ReverseBytes32(uint32(a))) }),
		"band":    fold(func(a, b int32) int32 { return a & b }),
		"bor":     fold(func(a, b int32) int32 { return a | b }),
		"bxor":    fold(func(a, b int32) int32 { return a ^ b }),
		"lshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) << n) }),
		"rshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) >> n) }),
		"arshift": shift(func(a int32, n uint) int32 { return a >> n }),
		"rol":     shift(func(a int32, n uint) int32 { return int32(bits.RotateLeft32(uint32(a), int(n))) }),
		"ror":     shift(func(a int32, n uint) int32 { return int32(bits.RotateLeft32(uint32(a), -int(n))) }),
		"tohex": func(L *lua.LState) int {
			b := uint32(bitArg(L, 1))
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = bitArg(L, 2)
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// bitArg is LuaBitOp's barg: the number rounded to an integer and
// reduced modulo 2^32 (the 2^52+2^51 addition trick rounds to nearest even).
func bitArg(L *lua.LState, i int) int32 {
	f := float64(L.CheckNumber(i))
	f = math.RoundToEven(f)
	if math.IsInf(f, 0) || f != f {
		return 0
	}
	return int32(uint32(int64(math.Mod(f, 4294967296))))
}
