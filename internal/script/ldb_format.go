package script

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// How the debugger shows values: replies in Redis's human form
// (ldbRedisProtocolToHuman) and Lua values (ldbCatStackValue).

// respToHuman is ldbRedisProtocolToHuman; it returns what follows the
// first reply of b.
func respToHuman(sb *strings.Builder, b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	e := bytes.Index(b, []byte("\r\n"))
	if e < 0 {
		return nil
	}
	line, rest := b[1:e], b[e+2:]
	switch b[0] {
	case ':':
		sb.Write(line)
	case '$':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			sb.WriteString("NULL")
			return rest
		}
		if n+2 > len(rest) {
			return nil
		}
		sb.WriteString(repr(rest[:n]))
		return rest[n+2:]
	case '+', '-':
		sb.WriteString(repr(b[:e]))
	case '*', '~', '%':
		n, _ := strconv.Atoi(string(line))
		if b[0] == '*' && n < 0 {
			sb.WriteString("NULL")
			return rest
		}
		open, close := "[", "]"
		if b[0] == '~' {
			open, close = "~(", ")"
		} else if b[0] == '%' {
			open, close = "{", "}"
		}
		sb.WriteString(open)
		for j := 0; j < n; j++ {
			rest = respToHuman(sb, rest)
			if b[0] == '%' {
				sb.WriteString(" => ")
				rest = respToHuman(sb, rest)
			}
			if j != n-1 {
				sb.WriteByte(',')
			}
		}
		sb.WriteString(close)
	case '_':
		sb.WriteString("(null)")
	case '#':
		if len(line) > 0 && line[0] == 't' {
			sb.WriteString("#true")
		} else {
			sb.WriteString("#false")
		}
	case ',':
		sb.WriteString("(double) ")
		sb.Write(line)
	default:
		return b
	}
	return rest
}

// repr is sdscatrepr: a quoted string with C escapes (redis-cli's quoting).
func repr(b []byte) string { return resp.QuoteCLI(b) }

// repr is ldbCatStackValue: a Lua value in a human form.
func (d *Debug) repr(v lua.LValue) string {
	var sb strings.Builder
	catValue(&sb, v, 0)
	return sb.String()
}

func catValue(sb *strings.Builder, v lua.LValue, level int) {
	if level == ldbMaxValuesDepth {
		sb.WriteString("<max recursion level reached! Nested table?>")
		return
	}
	level++
	switch x := v.(type) {
	case lua.LString:
		sb.WriteString(repr([]byte(x)))
	case lua.LBool:
		if x {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case lua.LNumber:
		sb.WriteString(formatG(float64(x)))
	case *lua.LNilType:
		sb.WriteString("nil")
	case *lua.LTable:
		var arr, full strings.Builder
		isArray, expected := true, 1
		for k, val := x.Next(lua.LNil); k != lua.LNil; k, val = x.Next(k) {
			if n, ok := k.(lua.LNumber); !ok || float64(n) != float64(expected) {
				isArray = false
			}
			if expected > 1 {
				arr.WriteString("; ")
				full.WriteString("; ")
			}
			catValue(&arr, val, level)
			full.WriteByte('[')
			catValue(&full, k, level)
			full.WriteString("]=")
			catValue(&full, val, level)
			expected++
		}
		sb.WriteByte('{')
		if isArray {
			sb.WriteString(arr.String())
		} else {
			sb.WriteString(full.String())
		}
		sb.WriteByte('}')
	case *lua.LFunction:
		fmt.Fprintf(sb, `"function@%p"`, x)
	case *lua.LUserData:
		fmt.Fprintf(sb, `"userdata@%p"`, x)
	case *lua.LState:
		fmt.Fprintf(sb, `"thread@%p"`, x)
	default:
		sb.WriteString(`"<unknown-lua-type>"`)
	}
}

// formatG is C's "%g".
func formatG(f float64) string {
	if s, ok := nonFinite(f); ok {
		return s
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}
