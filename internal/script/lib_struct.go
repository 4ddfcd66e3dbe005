package script

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openStruct is Roberto Ierusalimschy's struct library ("struct") as
// Redis bundles it: pack, unpack and size over a format string.
func openStruct(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 3)
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

const structMaxIntSize = 32

type structFmt struct {
	L        *lua.LState
	fname    string
	f        string
	i        int
	little   bool
	maxAlign int
}

// next returns the next option and its size (0 for none).
func (s *structFmt) next() (byte, int, bool) {
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		switch opt {
		case ' ':
			continue
		case '>':
			s.little = false
			continue
		case '<', '=':
			s.little = true
			continue
		case '!':
			s.maxAlign = s.num(8)
			continue
		case 'x':
			return opt, 1, true
		case 'b', 'B':
			return opt, 1, true
		case 'h', 'H':
			return opt, 2, true
		case 'l', 'L', 'T':
			return opt, 8, true
		case 'f':
			return opt, 4, true
		case 'd':
			return opt, 8, true
		case 's':
			return opt, 0, true
		case 'c':
			return opt, s.num(1), true
		case 'i', 'I':
			n := s.num(4)
			if n > structMaxIntSize {
				s.L.RaiseError("integral size %d is larger than limit of %d", n, structMaxIntSize)
			}
			return opt, n, true
		default:
			argError(s.L, 1, s.fname, "invalid format option '"+string(opt)+"'")
		}
	}
	return 0, 0, false
}

func (s *structFmt) num(def int) int {
	if s.i >= len(s.f) || s.f[s.i] < '0' || s.f[s.i] > '9' {
		return def
	}
	n := 0
	for s.i < len(s.f) && s.f[s.i] >= '0' && s.f[s.i] <= '9' {
		n = n*10 + int(s.f[s.i]-'0')
		if n > math.MaxInt32/10 {
			s.L.RaiseError("size too large")
		}
		s.i++
	}
	return n
}

// pad is gettoalign: the padding before an option of size at pos.
func (s *structFmt) pad(pos int, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > s.maxAlign {
		size = s.maxAlign
	}
	if size <= 1 {
		return 0
	}
	if size&(size-1) != 0 {
		argError(s.L, 1, s.fname, "alignment must be power of 2")
	}
	return (size - pos&(size-1)) & (size - 1)
}

func newStructFmt(L *lua.LState, fname string) *structFmt {
	return &structFmt{L: L, fname: fname, f: L.CheckString(1), little: true, maxAlign: 1}
}

func structPack(L *lua.LState) int {
	s := newStructFmt(L, "pack")
	var out []byte
	arg := 2
	for {
		opt, size, ok := s.next()
		if !ok {
			break
		}
		for p := s.pad(len(out), opt, size); p > 0; p-- {
			out = append(out, 0)
		}
		switch opt {
		case 'x':
			out = append(out, 0)
			continue
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := float64(L.CheckNumber(arg))
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			out = putStructInt(out, v, size, s.little)
		case 'f':
			v := math.Float32bits(float32(L.CheckNumber(arg)))
			if s.little {
				out = binary.LittleEndian.AppendUint32(out, v)
			} else {
				out = binary.BigEndian.AppendUint32(out, v)
			}
		case 'd':
			v := math.Float64bits(float64(L.CheckNumber(arg)))
			if s.little {
				out = binary.LittleEndian.AppendUint64(out, v)
			} else {
				out = binary.BigEndian.AppendUint64(out, v)
			}
		case 'c', 's':
			str := L.CheckString(arg)
			l := len(str)
			if size == 0 {
				size = l
			}
			if l < size {
				argError(L, arg, "pack", "string too short")
			}
			out = append(out, str[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
		}
		arg++
	}
	L.Push(lua.LString(out))
	return 1
}

func putStructInt(out []byte, v uint64, size int, little bool) []byte {
	buf := make([]byte, size)
	for i := 0; i < size; i++ {
		var b byte
		if i < 8 {
			b = byte(v >> (8 * i))
		} else if int64(v) < 0 {
			b = 0xff
		}
		if little {
			buf[i] = b
		} else {
			buf[size-1-i] = b
		}
	}
	return append(out, buf...)
}

func structUnpack(L *lua.LState) int {
	s := newStructFmt(L, "unpack")
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1
	if pos < 0 {
		pos = 0
	}
	n := 0
	prev := -1.0
	for {
		opt, size, ok := s.next()
		if !ok {
			break
		}
		pos += s.pad(pos, opt, size)
		if pos+size > len(data) {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'x':
			pos++
			continue
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			var v uint64
			for i := 0; i < size && i < 8; i++ {
				var b byte
				if s.little {
					b = data[pos+i]
				} else {
					b = data[pos+size-1-i]
				}
				v |= uint64(b) << (8 * i)
			}
			signed := opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'
			var f float64
			if signed && size < 8 {
				shift := uint(64 - 8*size)
				f = float64(int64(v<<shift) >> shift)
			} else if signed {
				f = float64(int64(v))
			} else {
				f = float64(v)
			}
			L.Push(lua.LNumber(f))
			prev = f
		case 'f':
			b := data[pos : pos+4]
			var v uint32
			if s.little {
				v = binary.LittleEndian.Uint32([]byte(b))
			} else {
				v = binary.BigEndian.Uint32([]byte(b))
			}
			L.Push(lua.LNumber(math.Float32frombits(v)))
		case 'd':
			b := data[pos : pos+8]
			var v uint64
			if s.little {
				v = binary.LittleEndian.Uint64([]byte(b))
			} else {
				v = binary.BigEndian.Uint64([]byte(b))
			}
			L.Push(lua.LNumber(math.Float64frombits(v)))
		case 'c':
			if size == 0 {
				if n == 0 || prev < 0 {
					argError(L, 1, "unpack", "format 'c0' needs a previous size")
				}
				size = int(prev)
				n--
				L.Pop(1)
				if pos+size > len(data) {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+e]))
			size = e + 1
		}
		pos += size
		n++
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	s := newStructFmt(L, "size")
	pos := 0
	for {
		opt, size, ok := s.next()
		if !ok {
			break
		}
		if opt == 's' || (opt == 'c' && size == 0) {
			argError(L, 1, "size", "options 'c0' - 's' have undefined sizes")
		}
		pos += s.pad(pos, opt, size) + size
	}
	L.Push(lua.LNumber(pos))
	return 1
}
