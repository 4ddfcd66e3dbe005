package script

import (
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Runtime errors of gopher-lua's VM in Lua 5.1's words (ldebug.c), where
// the message alone is enough: the operand's type is in it. Lua adds the
// variable when the operand has a name ("attempt to index local 't' (a nil
// value)"); gopher-lua does not expose the failing instruction, so these
// give Lua's unnamed form ("attempt to index a nil value"), which is
// Redis's text whenever the operand is not a named variable.

const luaType = `(nil|boolean|number|string|table|function|userdata|thread|channel)`

var (
	// The operands are already converted (a numeric string is a number),
	// so the first one not a number is the one Lua's luaG_aritherror names.
	arithRe   = regexp.MustCompile(`cannot perform (?:add|sub|mul|div|mod|pow) operation between ` + luaType + ` and ` + luaType + `$`)
	concatRe  = regexp.MustCompile(`cannot perform concat operation between ` + luaType + ` and ` + luaType + `$`)
	compareRe = regexp.MustCompile(`attempt to compare ` + luaType + ` with ` + luaType + `$`)
	indexRe   = regexp.MustCompile(`(?s)attempt to index a non-table object\(` + luaType + `\) with key '.*'$`)
)

// lua51Wording rewrites msg's tail if it is one of those gopher-lua texts;
// with L (inside the error handler, the failing frame still on the stack)
// the operand is named as Lua names it (luanames.go).
func lua51Wording(msg string, L *lua.LState) string {
	if L != nil {
		if named, ok := lua51Named(L, msg); ok {
			prefix := msg
			if i := strings.LastIndex(msg, ": attempt to "); i >= 0 {
				prefix = msg[:i+2]
			} else if i := strings.LastIndex(msg, ": "); i >= 0 {
				prefix = msg[:i+2]
			} else {
				prefix = ""
			}
			return prefix + named
		}
	}
	if m := arithRe.FindStringSubmatchIndex(msg); m != nil {
		bad := msg[m[2]:m[3]]
		if bad == "number" {
			bad = msg[m[4]:m[5]]
		}
		return msg[:m[0]] + "attempt to perform arithmetic on a " + bad + " value"
	}
	if m := concatRe.FindStringSubmatchIndex(msg); m != nil {
		bad := msg[m[2]:m[3]]
		if bad == "string" || bad == "number" {
			bad = msg[m[4]:m[5]]
		}
		return msg[:m[0]] + "attempt to concatenate a " + bad + " value"
	}
	if m := compareRe.FindStringSubmatchIndex(msg); m != nil {
		if a, b := msg[m[2]:m[3]], msg[m[4]:m[5]]; a == b {
			return msg[:m[0]] + "attempt to compare two " + a + " values"
		}
		return msg
	}
	if m := indexRe.FindStringSubmatchIndex(msg); m != nil {
		return msg[:m[0]] + "attempt to index a " + msg[m[2]:m[3]] + " value"
	}
	return msg
}
