package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// openCJSON is lua-cjson 2.1 ("cjson") as Redis bundles it: encode and
// decode with its defaults (number precision 14, sparse arrays refused
// beyond ratio 2 / safe 10, depth 1000, NaN and Inf refused), and
// cjson.null for JSON null.
func openCJSON(L *lua.LState) *lua.LTable {
	cfg := &cjsonConfig{precision: 14, encDepth: 1000, decDepth: 1000, keepBuffer: 1}
	null := L.NewUserData()
	t := L.CreateTable(0, 16)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "encode", "expected 1 argument")
		}
		var sb strings.Builder
		cjsonEncode(L, cfg, null, &sb, L.Get(1), 0)
		L.Push(lua.LString(sb.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "decode", "expected 1 argument")
		}
		s := L.CheckString(1)
		d := &jsonDecoder{L: L, s: s, null: null, maxDepth: cfg.decDepth}
		v := d.value(0)
		d.skipWS()
		if d.pos < len(d.s) {
			d.fail("the end", d.tokenName())
		}
		L.Push(v)
		return 1
	}))
	intOpt := func(p *int, lo, hi int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				n := L.CheckInt(1)
				if n < lo || n > hi {
					L.RaiseError("bad argument #1 (expected integer between %d and %d)", lo, hi)
				}
				*p = n
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	t.RawSetString("encode_number_precision", L.NewFunction(intOpt(&cfg.precision, 1, 14)))
	t.RawSetString("encode_max_depth", L.NewFunction(intOpt(&cfg.encDepth, 1, math.MaxInt32)))
	t.RawSetString("decode_max_depth", L.NewFunction(intOpt(&cfg.decDepth, 1, math.MaxInt32)))
	// json_enum_option: false/"off", true/"on", or a third word; the
	// setting is returned as a boolean, or the word.
	enumOpt := func(name string, p *int, third string) lua.LGFunction {
		return func(L *lua.LState) int {
			switch v := L.Get(1); {
			case v == lua.LNil:
			case v.Type() == lua.LTBool:
				*p = 0
				if v == lua.LTrue {
					*p = 1
				}
			default:
				switch s := lua.LVAsString(v); {
				case s == "off":
					*p = 0
				case s == "on":
					*p = 1
				case third != "" && s == third:
					*p = 2
				default:
					argError(L, 1, name, "invalid option '"+s+"'")
				}
			}
			if *p == 2 {
				L.Push(lua.LString(third))
			} else {
				L.Push(lua.LBool(*p == 1))
			}
			return 1
		}
	}
	// Reusing the encode buffer is lua-cjson's allocation detail: the
	// setting is kept and reported only.
	t.RawSetString("encode_keep_buffer", L.NewFunction(enumOpt("encode_keep_buffer", &cfg.keepBuffer, "")))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(enumOpt("encode_invalid_numbers", &cfg.invalidNumbers, "null")))
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

type cjsonConfig struct {
	precision, encDepth, decDepth int
	// keepBuffer and invalidNumbers: 0 off, 1 on, 2 "null".
	keepBuffer, invalidNumbers int
}

func cjsonNumber(L *lua.LState, cfg *cjsonConfig, f float64) string {
	if math.IsInf(f, 0) || f != f {
		switch cfg.invalidNumbers {
		case 1:
			switch {
			case f != f:
				return "nan"
			case f > 0:
				return "inf"
			}
			return "-inf"
		case 2:
			return "null"
		}
		L.RaiseError("Cannot serialise number: must not be NaN or Inf")
	}
	if f == 0 && math.Signbit(f) {
		return "-0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', cfg.precision, 64)
}

func cjsonString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '/':
			sb.WriteString(`\/`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				sb.WriteString(`\u00`)
				sb.WriteByte("0123456789abcdef"[c>>4])
				sb.WriteByte("0123456789abcdef"[c&15])
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
}

// cjsonArrayLen is lua_array_length: the array length, or -1 for an object.
func cjsonArrayLen(L *lua.LState, t *lua.LTable) int {
	max, items := 0, 0
	array := true
	eachPair(t, func(k, _ lua.LValue) {
		if !array {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			array = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !array {
		return -1
	}
	if max > items*2 && max > 10 {
		L.RaiseError("Cannot serialise table: excessively sparse array")
	}
	return max
}

func cjsonEncode(L *lua.LState, cfg *cjsonConfig, null *lua.LUserData, sb *strings.Builder, v lua.LValue, depth int) {
	switch x := v.(type) {
	case lua.LString:
		cjsonString(sb, string(x))
	case lua.LNumber:
		sb.WriteString(cjsonNumber(L, cfg, float64(x)))
	case lua.LBool:
		if x {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case *lua.LNilType:
		sb.WriteString("null")
	case *lua.LUserData:
		if x == null {
			sb.WriteString("null")
			return
		}
		L.RaiseError("Cannot serialise userdata: type not supported")
	case *lua.LTable:
		depth++
		if depth > cfg.encDepth {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		n := cjsonArrayLen(L, x)
		if n > 0 {
			sb.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					sb.WriteByte(',')
				}
				cjsonEncode(L, cfg, null, sb, x.RawGetInt(i), depth)
			}
			sb.WriteByte(']')
			return
		}
		sb.WriteByte('{')
		first := true
		eachPair(x, func(k, val lua.LValue) {
			if !first {
				sb.WriteByte(',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LString:
				cjsonString(sb, string(kk))
			case lua.LNumber:
				sb.WriteByte('"')
				sb.WriteString(cjsonNumber(L, cfg, float64(kk)))
				sb.WriteByte('"')
			default:
				L.RaiseError("Cannot serialise table: table key must be a number or string")
			}
			sb.WriteByte(':')
			cjsonEncode(L, cfg, null, sb, val, depth)
		})
		sb.WriteByte('}')
	default:
		L.RaiseError("Cannot serialise %s: type not supported", v.Type().String())
	}
}

type jsonDecoder struct {
	L        *lua.LState
	s        string
	pos      int
	null     *lua.LUserData
	maxDepth int
}

func (d *jsonDecoder) skipWS() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// tokenName names the token at pos the way lua-cjson's errors do.
func (d *jsonDecoder) tokenName() string {
	if d.pos >= len(d.s) {
		return "T_END"
	}
	switch c := d.s[d.pos]; {
	case c == '{':
		return "T_OBJ_BEGIN"
	case c == '}':
		return "T_OBJ_END"
	case c == '[':
		return "T_ARR_BEGIN"
	case c == ']':
		return "T_ARR_END"
	case c == ',':
		return "T_COMMA"
	case c == ':':
		return "T_COLON"
	case c == '"':
		return "T_STRING"
	case c == '-' || c >= '0' && c <= '9':
		return "T_NUMBER"
	case strings.HasPrefix(d.s[d.pos:], "true"), strings.HasPrefix(d.s[d.pos:], "false"):
		return "T_BOOLEAN"
	case strings.HasPrefix(d.s[d.pos:], "null"):
		return "T_NULL"
	}
	return "invalid token"
}

func (d *jsonDecoder) fail(expected, found string) {
	d.L.RaiseError("Expected %s but found %s at character %d", expected, found, d.pos+1)
}

func (d *jsonDecoder) value(depth int) lua.LValue {
	d.skipWS()
	if d.pos >= len(d.s) {
		d.fail("value", "T_END")
	}
	switch c := d.s[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return lua.LString(d.str())
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case strings.HasPrefix(d.s[d.pos:], "true"):
		d.pos += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.pos:], "false"):
		d.pos += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.pos:], "null"):
		d.pos += 4
		return d.null
	}
	d.fail("value", d.tokenName())
	return lua.LNil
}

func (d *jsonDecoder) nest(depth int) {
	if depth > d.maxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", depth, d.pos+1)
	}
}

func (d *jsonDecoder) object(depth int) lua.LValue {
	d.nest(depth)
	d.pos++
	t := d.L.CreateTable(0, 4)
	d.skipWS()
	if d.pos < len(d.s) && d.s[d.pos] == '}' {
		d.pos++
		return t
	}
	for {
		d.skipWS()
		if d.pos >= len(d.s) || d.s[d.pos] != '"' {
			d.fail("object key string", d.tokenName())
		}
		k := d.str()
		d.skipWS()
		if d.pos >= len(d.s) || d.s[d.pos] != ':' {
			d.fail("colon", d.tokenName())
		}
		d.pos++
		t.RawSetString(k, d.value(depth))
		d.skipWS()
		if d.pos < len(d.s) && d.s[d.pos] == '}' {
			d.pos++
			return t
		}
		if d.pos >= len(d.s) || d.s[d.pos] != ',' {
			d.fail("comma or object end", d.tokenName())
		}
		d.pos++
	}
}

func (d *jsonDecoder) array(depth int) lua.LValue {
	d.nest(depth)
	d.pos++
	t := d.L.CreateTable(4, 0)
	d.skipWS()
	if d.pos < len(d.s) && d.s[d.pos] == ']' {
		d.pos++
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(depth))
		d.skipWS()
		if d.pos < len(d.s) && d.s[d.pos] == ']' {
			d.pos++
			return t
		}
		if d.pos >= len(d.s) || d.s[d.pos] != ',' {
			d.fail("comma or array end", d.tokenName())
		}
		d.pos++
	}
}

func (d *jsonDecoder) number() lua.LValue {
	start := d.pos
	for d.pos < len(d.s) {
		c := d.s[d.pos]
		if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
			d.pos++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(d.s[start:d.pos], 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		d.pos = start
		d.fail("value", "invalid token")
	}
	return lua.LNumber(f)
}

func (d *jsonDecoder) str() string {
	d.pos++ // opening quote
	var sb strings.Builder
	for {
		if d.pos >= len(d.s) {
			d.fail("value", "invalid token")
		}
		c := d.s[d.pos]
		switch {
		case c == '"':
			d.pos++
			return sb.String()
		case c == '\\':
			if d.pos+1 >= len(d.s) {
				d.fail("value", "invalid token")
			}
			e := d.s[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					d.fail("value", "invalid token")
				}
				if r >= 0xd800 && r < 0xdc00 {
					if !strings.HasPrefix(d.s[d.pos:], `\u`) {
						d.fail("value", "invalid token")
					}
					d.pos += 2
					lo, ok := d.hex4()
					if !ok || lo < 0xdc00 || lo > 0xdfff {
						d.fail("value", "invalid token")
					}
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				}
				var buf [4]byte
				n := utf8.EncodeRune(buf[:], rune(r))
				sb.Write(buf[:n])
			default:
				d.fail("value", "invalid token")
			}
		case c < 0x20:
			d.fail("value", "invalid token")
		default:
			sb.WriteByte(c)
			d.pos++
		}
	}
}

func (d *jsonDecoder) hex4() (int, bool) {
	if d.pos+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.pos:d.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return int(n), true
}
