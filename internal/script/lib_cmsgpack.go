package script

import (
	"encoding/binary"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// openCMsgpack is lua-cmsgpack 0.4 ("cmsgpack") as Redis bundles it.
func openCMsgpack(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 8)
	t.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		if n == 0 {
			argError(L, 0, "pack", "MessagePack pack needs input.")
		}
		var out []byte
		for i := 1; i <= n; i++ {
			out = mpEncode(out, L.Get(i), 0)
		}
		L.Push(lua.LString(out))
		return 1
	}))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		_, vals := mpUnpack(L, s, 0, 0)
		for _, v := range vals {
			L.Push(v)
		}
		return len(vals)
	}))
	limit := func(L *lua.LState, fname string, lim int, offArg int) int {
		s := L.CheckString(1)
		off := L.OptInt(offArg, 0)
		if off < 0 || lim < 0 {
			argError(L, offArg, fname, "Invalid request to unpack with offset of "+strconv.Itoa(off)+" and limit of "+strconv.Itoa(lim)+".")
		}
		if off > len(s) {
			argError(L, offArg, fname, "Start offset "+strconv.Itoa(off)+" greater than input length "+strconv.Itoa(len(s))+".")
		}
		next, vals := mpUnpack(L, s, off, lim)
		L.Push(lua.LNumber(next))
		for _, v := range vals {
			L.Push(v)
		}
		return len(vals) + 1
	}
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int { return limit(L, "unpack_one", 1, 2) }))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int { return limit(L, "unpack_limit", L.CheckInt(2), 3) }))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

const mpMaxNesting = 16

func mpEncode(out []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		n := len(x)
		switch {
		case n < 32:
			out = append(out, 0xa0|byte(n))
		case n <= 0xff:
			out = append(out, 0xd9, byte(n))
		case n <= 0xffff:
			out = binary.BigEndian.AppendUint16(append(out, 0xda), uint16(n))
		default:
			out = binary.BigEndian.AppendUint32(append(out, 0xdb), uint32(n))
		}
		return append(out, x...)
	case lua.LBool:
		if x {
			return append(out, 0xc3)
		}
		return append(out, 0xc2)
	case lua.LNumber:
		f := float64(x)
		if !math.IsInf(f, 0) && f == f && f >= -9223372036854775808.0 && f < 9223372036854775808.0 && float64(int64(f)) == f {
			return mpInt(out, int64(f))
		}
		if float64(float32(f)) == f || f != f {
			return binary.BigEndian.AppendUint32(append(out, 0xca), math.Float32bits(float32(f)))
		}
		return binary.BigEndian.AppendUint64(append(out, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if level == mpMaxNesting {
			return append(out, 0xc0)
		}
		max, count, array := 0, 0, true
		eachPair(x, func(k, _ lua.LValue) {
			count++
			n, ok := k.(lua.LNumber)
			if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
				array = false
				return
			}
			if int(n) > max {
				max = int(n)
			}
		})
		if array && max == count {
			out = mpHeader(out, max, 0x90, 0xdc, 0xdd)
			for i := 1; i <= max; i++ {
				out = mpEncode(out, x.RawGetInt(i), level+1)
			}
			return out
		}
		out = mpHeader(out, count, 0x80, 0xde, 0xdf)
		eachPair(x, func(k, val lua.LValue) {
			out = mpEncode(out, k, level+1)
			out = mpEncode(out, val, level+1)
		})
		return out
	}
	return append(out, 0xc0)
}

func mpHeader(out []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n <= 15:
		return append(out, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(out, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(out, b32), uint32(n))
}

func mpInt(out []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(out, byte(n))
		case n <= 0xff:
			return append(out, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(out, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(out, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(out, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(out, byte(int8(n)))
	case n >= -128:
		return append(out, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(out, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(out, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(out, 0xd3), uint64(n))
}

// mpUnpack decodes up to limit objects (0: all) from s[off:]; it returns
// the offset after them (-1 at the end of s) and the values.
func mpUnpack(L *lua.LState, s string, off, limit int) (int, []lua.LValue) {
	d := mpDecoder{L: L, s: s, pos: off}
	var vals []lua.LValue
	for d.pos < len(s) && (limit == 0 || len(vals) < limit) {
		vals = append(vals, d.value())
	}
	if d.pos >= len(s) {
		return -1, vals
	}
	return d.pos, vals
}

type mpDecoder struct {
	L   *lua.LState
	s   string
	pos int
}

func (d *mpDecoder) need(n int) string {
	if d.pos+n > len(d.s) {
		d.L.RaiseError("Missing bytes in input.")
	}
	b := d.s[d.pos : d.pos+n]
	d.pos += n
	return b
}

func (d *mpDecoder) u(n int) uint64 {
	b := d.need(n)
	var v uint64
	for i := 0; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (d *mpDecoder) value() lua.LValue {
	c := d.need(1)[0]
	switch {
	case c <= 0x7f:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xf0 == 0x80:
		return d.mapOf(int(c & 0x0f))
	case c&0xf0 == 0x90:
		return d.arrayOf(int(c & 0x0f))
	case c&0xe0 == 0xa0:
		return lua.LString(d.need(int(c & 0x1f)))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xc4, 0xd9:
		return lua.LString(d.need(int(d.u(1))))
	case 0xc5, 0xda:
		return lua.LString(d.need(int(d.u(2))))
	case 0xc6, 0xdb:
		return lua.LString(d.need(int(d.u(4))))
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.u(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.u(8)))
	case 0xcc:
		return lua.LNumber(d.u(1))
	case 0xcd:
		return lua.LNumber(d.u(2))
	case 0xce:
		return lua.LNumber(d.u(4))
	case 0xcf:
		return lua.LNumber(d.u(8))
	case 0xd0:
		return lua.LNumber(int8(d.u(1)))
	case 0xd1:
		return lua.LNumber(int16(d.u(2)))
	case 0xd2:
		return lua.LNumber(int32(d.u(4)))
	case 0xd3:
		return lua.LNumber(int64(d.u(8)))
	case 0xdc:
		return d.arrayOf(int(d.u(2)))
	case 0xdd:
		return d.arrayOf(int(d.u(4)))
	case 0xde:
		return d.mapOf(int(d.u(2)))
	case 0xdf:
		return d.mapOf(int(d.u(4)))
	}
	d.L.RaiseError("Bad data format in input.")
	return lua.LNil
}

func (d *mpDecoder) arrayOf(n int) lua.LValue {
	if n > len(d.s)-d.pos {
		d.L.RaiseError("Missing bytes in input.")
	}
	t := d.L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, d.value())
	}
	return t
}

func (d *mpDecoder) mapOf(n int) lua.LValue {
	if n > len(d.s)-d.pos {
		d.L.RaiseError("Missing bytes in input.")
	}
	t := d.L.CreateTable(0, n)
	for i := 0; i < n; i++ {
		k := d.value()
		v := d.value()
		if k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}
