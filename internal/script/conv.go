package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/internal/resp"
)

// This file converts between RESP and Lua values as script_lua.c does:
// redisProtocolToLuaType for the reply of redis.call, luaReplyToRedisReply
// for what a script returns.

// respToLua converts the RESP reply at the start of b and returns it with
// the number of bytes it took. A malformed reply (which our own handlers
// never write) converts to nil.
func respToLua(L *lua.LState, b []byte) (lua.LValue, int) {
	v, n := respToLuaRaw(L, b)
	return v, min(n, len(b))
}

// luaOK is the status text of most replies.
const luaOK = lua.LString("OK")

func respToLuaRaw(L *lua.LState, b []byte) (lua.LValue, int) {
	if len(b) < 3 {
		return lua.LNil, len(b)
	}
	end := lineEnd(b)
	if end < 0 {
		return lua.LNil, len(b)
	}
	line := b[1:end]
	next := end + 2
	switch b[0] {
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), next
	case '$':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, next
		}
		if next+n > len(b) {
			return lua.LNil, len(b)
		}
		return lua.LString(b[next : next+n]), next + n + 2
	case '+':
		t := L.CreateTable(0, 1)
		if string(line) == "OK" { // the usual status: no string allocated
			t.RawSetString("ok", luaOK)
		} else {
			t.RawSetString("ok", lua.LString(line))
		}
		return t, next
	case '-':
		return errorTable(L, "-"+string(line), true), next
	case '*', '~', '%', '|', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, next
		}
		pos := next
		switch b[0] {
		case '%', '|':
			inner := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				k, kn := respToLua(L, b[pos:])
				pos += kn
				v, vn := respToLua(L, b[pos:])
				pos += vn
				if k != lua.LNil {
					inner.RawSet(k, v)
				}
			}
			if b[0] == '|' { // attributes are skipped; the value follows
				v, vn := respToLua(L, b[pos:])
				return v, pos + vn
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("map", inner)
			return t, pos
		case '~':
			inner := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				k, kn := respToLua(L, b[pos:])
				pos += kn
				if k != lua.LNil {
					inner.RawSet(k, lua.LTrue)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", inner)
			return t, pos
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			v, vn := respToLua(L, b[pos:])
			pos += vn
			t.RawSetInt(i, v)
		}
		return t, pos
	case '_':
		return lua.LNil, next
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), next
	case ',':
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(parseRespDouble(string(line))))
		return t, next
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, next
	case '=':
		n, _ := strconv.Atoi(string(line))
		if n < 4 || next+n > len(b) {
			return lua.LNil, len(b)
		}
		payload := b[next : next+n]
		v := L.CreateTable(0, 2)
		v.RawSetString("string", lua.LString(payload[4:]))
		v.RawSetString("format", lua.LString(payload[:3]))
		t := L.CreateTable(0, 1)
		t.RawSetString("verbatim_string", v)
		return t, next + n + 2
	case '!':
		n, _ := strconv.Atoi(string(line))
		if n < 0 || next+n > len(b) {
			return lua.LNil, len(b)
		}
		return errorTable(L, "-"+string(b[next:next+n]), true), next + n + 2
	}
	return lua.LNil, len(b)
}

func lineEnd(b []byte) int {
	for i := 1; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

func parseRespDouble(s string) float64 {
	switch s {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan":
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// errorText is luaPushErrorBuff's normalisation: "-CODE msg" keeps its
// code, "msg" gets ERR; trailing CR/LF are trimmed.
func errorText(s string) string {
	var code, msg string
	if strings.HasPrefix(s, "-") {
		if i := strings.IndexByte(s, ' '); i < 0 {
			code, msg = "ERR", s[1:]
		} else {
			code, msg = s[1:i], s[i+1:]
		}
	} else {
		code, msg = "ERR", s
	}
	msg = strings.Trim(msg, "\r\n")
	return code + " " + msg
}

// errorTable is the {err=...} table redis.pcall returns for an error.
// ignoreStats marks errors already counted when the command ran.
func errorTable(L *lua.LState, s string, ignoreStats bool) *lua.LTable {
	t := L.CreateTable(0, 2)
	t.RawSetString("err", lua.LString(errorText(s)))
	if ignoreStats {
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
	}
	return t
}

// luaToRESP writes v as the reply to the caller (luaReplyToRedisReply).
// scriptProto is the protocol the script selected with redis.setresp: it
// decides how a boolean is returned.
func luaToRESP(w *resp.Writer, v lua.LValue, scriptProto int, depth int) {
	if depth > 1000 {
		w.Error("ERR reached lua stack limit")
		return
	}
	switch x := v.(type) {
	case lua.LString:
		w.BulkString(string(x))
	case lua.LBool:
		if scriptProto == 2 {
			if x {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(x))
		}
	case lua.LNumber:
		w.Int(luaNumberToInt(float64(x)))
	case *lua.LTable:
		if e, ok := x.RawGetString("err").(lua.LString); ok {
			w.Error(string(e))
			return
		}
		if s, ok := x.RawGetString("ok").(lua.LString); ok {
			w.Simple(strings.Map(crlfToSpace, string(s)))
			return
		}
		if d, ok := x.RawGetString("double").(lua.LNumber); ok {
			w.Double(float64(d))
			return
		}
		if s, ok := x.RawGetString("big_number").(lua.LString); ok {
			writeBigNumber(w, strings.Map(crlfToSpace, string(s)))
			return
		}
		if vt, ok := x.RawGetString("verbatim_string").(*lua.LTable); ok {
			f, fok := vt.RawGetString("format").(lua.LString)
			s, sok := vt.RawGetString("string").(lua.LString)
			if fok && sok {
				writeVerbatim(w, string(s), string(f))
				return
			}
		}
		if m, ok := x.RawGetString("map").(*lua.LTable); ok {
			n := 0
			eachPair(m, func(_, _ lua.LValue) { n++ })
			w.Map(n)
			eachPair(m, func(k, v lua.LValue) {
				luaToRESP(w, k, scriptProto, depth+1)
				luaToRESP(w, v, scriptProto, depth+1)
			})
			return
		}
		if s, ok := x.RawGetString("set").(*lua.LTable); ok {
			n := 0
			eachPair(s, func(_, _ lua.LValue) { n++ })
			w.Set(n)
			eachPair(s, func(k, _ lua.LValue) { luaToRESP(w, k, scriptProto, depth+1) })
			return
		}
		n := 0
		for x.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.Array(n)
		for i := 1; i <= n; i++ {
			luaToRESP(w, x.RawGetInt(i), scriptProto, depth+1)
		}
	default:
		w.Null()
	}
}

func crlfToSpace(r rune) rune {
	if r == '\r' || r == '\n' {
		return ' '
	}
	return r
}

// luaNumberToInt is C's (long long) cast of a double as x86-64 does it:
// truncation toward zero, and the "integer indefinite" value for NaN and
// out-of-range numbers.
func luaNumberToInt(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// writeBigNumber is addReplyBigNum: a RESP3 big number, a bulk string in RESP2.
func writeBigNumber(w *resp.Writer, s string) {
	if w.Proto < 3 {
		w.BulkString(s)
		return
	}
	w.Buf = append(w.Buf, '(')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// writeVerbatim is addReplyVerbatim with the script's own format.
func writeVerbatim(w *resp.Writer, s, format string) {
	if w.Proto < 3 {
		w.BulkString(s)
		return
	}
	f := format
	if len(f) > 3 {
		f = f[:3]
	}
	for len(f) < 3 {
		f += " "
	}
	w.Buf = append(w.Buf, '=')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(s)+4), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = append(w.Buf, f...)
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// eachPair calls f for each pair of t in the order of pairs() (gopher-lua
// keeps its keys in insertion order), where LTable.ForEach follows Go's
// random map order: a reply, JSON or msgpack encoding built from a table
// comes out the same from one call to the next, as Redis's does.
func eachPair(t *lua.LTable, f func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		f(k, v)
	}
}
