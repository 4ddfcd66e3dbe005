package script

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 names the operand of a failed operation when it is a variable
// ("attempt to index local 't' (a nil value)", "attempt to call field 'x'
// (a nil value)"): luaG_typeerror asks getobjname (ldebug.c), which looks
// at the failing instruction and, by symbolic execution, at the one that
// last loaded the operand's register. gopher-lua compiles to Lua 5.1's
// instruction set, so the same reading works on its prototypes; this file
// does it for the errors gopher-lua's VM raises (index, call, arithmetic,
// unary minus, length, concatenation) and words them as Lua does.

// frameInfo is the failing Lua frame: its function, the failing
// instruction's index and a way to read its registers.
type frameInfo struct {
	L   *lua.LState
	dbg *lua.Debug
	fn  *lua.LFunction
	pc  int
}

// failingFrame finds the innermost frame when it is a Lua function (an
// error raised by a Go function has no failing instruction of ours).
func failingFrame(L *lua.LState) *frameInfo {
	// Level 0 is the error handler itself.
	dbg, ok := L.GetStack(1)
	if !ok {
		return nil
	}
	fv, err := L.GetInfo("f", dbg, lua.LNil)
	if err != nil {
		return nil
	}
	fn, _ := fv.(*lua.LFunction)
	if fn == nil || fn.IsG || fn.Proto == nil {
		return nil
	}
	// The frame's pc is not exported; Debug keeps the frame (gopher-lua
	// v1.1.2: Debug.frame *callFrame, callFrame.Pc already past the
	// failing instruction).
	f := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil
	}
	pcField := f.Elem().FieldByName("Pc")
	if !pcField.IsValid() || pcField.Kind() != reflect.Int {
		return nil
	}
	pc := int(pcField.Int()) - 1
	if pc < 0 || pc >= len(fn.Proto.Code) {
		return nil
	}
	return &frameInfo{L: L, dbg: dbg, fn: fn, pc: pc}
}

func (f *frameInfo) reg(r int) lua.LValue {
	_, v := f.L.GetLocal(f.dbg, r+1)
	if v == nil {
		return lua.LNil
	}
	return v
}

// The instruction fields of gopher-lua's encoding (opcode.go).
func opCode(i uint32) int { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }
func argSbx(i uint32) int { return argBx(i) - (1<<18-1)>>1 }

const rkBit = 1 << 8

// lua51Named rewrites a VM error of the failing frame in Lua 5.1's words
// with the operand's name; ok false leaves msg alone.
func lua51Named(L *lua.LState, msg string) (string, bool) {
	f := failingFrame(L)
	if f == nil {
		return "", false
	}
	inst := f.fn.Proto.Code[f.pc]
	var op string
	reg := -1
	var val lua.LValue
	switch m := msg; {
	case hasTail(m, "attempt to call a non-function object"):
		if c := opCode(inst); c != lua.OP_CALL && c != lua.OP_TAILCALL {
			return "", false
		}
		op, reg = "call", argA(inst)
	case indexRe.MatchString(m):
		switch opCode(inst) {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			reg = argB(inst)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			reg = argA(inst)
		default:
			return "", false
		}
		op = "index"
	case hasTail(m, "__len undefined"):
		if opCode(inst) != lua.OP_LEN {
			return "", false
		}
		op, reg = "get length of", argB(inst)
	case hasTail(m, "__unm undefined"):
		if opCode(inst) != lua.OP_UNM {
			return "", false
		}
		op, reg = "perform arithmetic on", argB(inst)
	case arithRe.MatchString(m):
		switch opCode(inst) {
		case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW:
		default:
			return "", false
		}
		// luaG_aritherror: the first operand unless it converts to a number.
		b, c := argB(inst), argC(inst)
		bv, cv := f.rk(b), f.rk(c)
		op = "perform arithmetic on"
		if !toNumberOK(bv) {
			val = bv
			if b&rkBit == 0 {
				reg = b
			}
		} else {
			val = cv
			if c&rkBit == 0 {
				reg = c
			}
		}
	case concatRe.MatchString(m):
		if opCode(inst) != lua.OP_CONCAT {
			return "", false
		}
		// luaV_concat from the right: the first pair that is not two
		// strings or numbers; the left one unless it is one of those.
		b, c := argB(inst), argC(inst)
		rhsReg, rhsOK := c, stringish(f.reg(c))
		for i := c - 1; i >= b; i-- {
			if lv := f.reg(i); !stringish(lv) || !rhsOK {
				if !stringish(lv) {
					reg, val = i, lv
				} else {
					reg, val = rhsReg, f.reg(rhsReg)
				}
				break
			}
			rhsReg = -1
		}
		if val == nil {
			return "", false
		}
		op = "concatenate"
	default:
		return "", false
	}
	if val == nil {
		val = f.reg(reg)
	}
	tn := val.Type().String()
	if reg >= 0 {
		if kind, name := f.objName(reg, f.pc); kind != "" {
			return fmt.Sprintf("attempt to %s %s '%s' (a %s value)", op, kind, name, tn), true
		}
	}
	return fmt.Sprintf("attempt to %s a %s value", op, tn), true
}

func hasTail(s, tail string) bool { return len(s) >= len(tail) && s[len(s)-len(tail):] == tail }

func stringish(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

func toNumberOK(v lua.LValue) bool {
	switch x := v.(type) {
	case lua.LNumber:
		return true
	case lua.LString:
		// gopher-lua's conversion (parseNumber): Go's integer syntax, else a float.
		t := strings.Trim(string(x), " \t\n")
		if _, err := strconv.ParseInt(t, 0, 64); err == nil {
			return true
		}
		_, err := strconv.ParseFloat(t, 64)
		return err == nil
	}
	return false
}

// rk is RK(x): a constant or a register.
func (f *frameInfo) rk(x int) lua.LValue {
	if x&rkBit != 0 {
		k := x &^ rkBit
		if k < len(f.fn.Proto.Constants) {
			return f.fn.Proto.Constants[k]
		}
		return lua.LNil
	}
	return f.reg(x)
}

// kname is kname: a string constant key, else "?".
func (f *frameInfo) kname(x int) string {
	if x&rkBit != 0 {
		if k := x &^ rkBit; k < len(f.fn.Proto.Constants) {
			if s, ok := f.fn.Proto.Constants[k].(lua.LString); ok {
				return string(s)
			}
		}
	}
	return "?"
}

// objName is getobjname: what register reg holds at pc.
func (f *frameInfo) objName(reg, pc int) (string, string) {
	if name, ok := localName(f.fn.Proto, reg+1, pc); ok {
		return "local", name
	}
	i, ok := f.symbexec(pc, reg)
	if !ok {
		return "", ""
	}
	p := f.fn.Proto
	switch opCode(i) {
	case lua.OP_GETGLOBAL:
		if k := argBx(i); k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return "global", string(s)
			}
		}
	case lua.OP_MOVE:
		if a, b := argA(i), argB(i); b < a {
			return f.objName(b, pc)
		}
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
		return "field", f.kname(argC(i))
	case lua.OP_GETUPVAL:
		name := "?"
		if u := argB(i); u < len(p.DbgUpvalues) {
			name = p.DbgUpvalues[u]
		}
		return "upvalue", name
	case lua.OP_SELF:
		return "method", f.kname(argC(i))
	}
	return "", ""
}

// symbexec finds the last instruction before lastpc that set reg, as
// ldebug.c's symbexec does for getobjname (forward jumps that stay
// before lastpc are followed).
func (f *frameInfo) symbexec(lastpc, reg int) (uint32, bool) {
	code := f.fn.Proto.Code
	last := -1
	for pc := 0; pc < lastpc; pc++ {
		i := code[pc]
		a := argA(i)
		switch op := opCode(i); op {
		case lua.OP_LOADNIL:
			if a <= reg && reg <= argB(i) {
				last = pc
			}
		case lua.OP_TFORLOOP:
			if reg >= a+2 {
				last = pc
			}
		case lua.OP_CALL, lua.OP_TAILCALL:
			if reg >= a {
				last = pc
			}
		case lua.OP_JMP:
			if dest := pc + 1 + argSbx(i); pc < dest && dest <= lastpc {
				pc = dest - 1
			}
		case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_GETUPVAL, lua.OP_GETGLOBAL,
			lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_NEWTABLE, lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV,
			lua.OP_MOD, lua.OP_POW, lua.OP_UNM, lua.OP_NOT, lua.OP_LEN, lua.OP_CONCAT, lua.OP_TESTSET,
			lua.OP_FORLOOP, lua.OP_FORPREP, lua.OP_VARARG:
			if a == reg {
				last = pc
			}
		case lua.OP_CLOSURE:
			if a == reg {
				last = pc
			}
			// the upvalue pseudo-instructions that follow are not run
			if k := argBx(i); k < len(f.fn.Proto.FunctionPrototypes) {
				pc += int(f.fn.Proto.FunctionPrototypes[k].NumUpvalues)
			}
		case lua.OP_SELF:
			if a == reg || a+1 == reg {
				last = pc
			}
		}
	}
	if last < 0 {
		return 0, false
	}
	return code[last], true
}

// localName is luaF_getlocalname: the n-th local active at pc. (gopher-lua's
// LFunction.LocalName compares StartPc with < where Lua has <=, which
// misses a local at its first instruction.)
func localName(p *lua.FunctionProto, n, pc int) (string, bool) {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			n--
			if n == 0 {
				return l.Name, true
			}
		}
	}
	return "", false
}
