package script

import (
	"reflect"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// What the debugger reads of a running Lua frame that gopher-lua does
// not export: the instruction about to run and the frame's locals.

// The unexported fields read by reflection (gopher-lua v1.1.2:
// Debug.frame *callFrame; callFrame.Pc is already past the instruction
// about to run). Without them there is no stepping (ldb_test fails).
var (
	dbgFrameField, _ = reflect.TypeOf(lua.Debug{}).FieldByName("frame")
	framePcIndex     = func() []int {
		if dbgFrameField.Type == nil || dbgFrameField.Type.Kind() != reflect.Pointer {
			return nil
		}
		f, ok := dbgFrameField.Type.Elem().FieldByName("Pc")
		if !ok || f.Type.Kind() != reflect.Int {
			return nil
		}
		return f.Index
	}()
)

// localVar is a frame's active local.
type localVar struct {
	name string
	val  lua.LValue
}

var (
	frameBaseIndex = func() []int {
		if framePcIndex == nil {
			return nil
		}
		f, ok := dbgFrameField.Type.Elem().FieldByName("LocalBase")
		if !ok || f.Type.Kind() != reflect.Int {
			return nil
		}
		return f.Index
	}()
	regArray = func() func(L *lua.LState) []lua.LValue {
		rf, ok := reflect.TypeOf(lua.LState{}).FieldByName("reg")
		if !ok || rf.Type.Kind() != reflect.Pointer {
			return nil
		}
		af, ok := rf.Type.Elem().FieldByName("array")
		if !ok || af.Type != reflect.TypeOf([]lua.LValue(nil)) {
			return nil
		}
		return func(L *lua.LState) []lua.LValue {
			reg := reflect.ValueOf(L).Elem().FieldByIndex(rf.Index)
			if reg.IsNil() {
				return nil
			}
			arr := reg.Elem().FieldByIndex(af.Index)
			return *(*[]lua.LValue)(unsafe.Pointer(arr.UnsafeAddr()))
		}
	}()
)

// locals are the active locals of dbg's frame, as lua_getlocal names
// them (Lua 5.1's rule: a local is active from its startpc, inclusive;
// gopher-lua's LocalName starts one instruction later).
func locals(L *lua.LState, dbg *lua.Debug) []localVar {
	fv, err := L.GetInfo("f", dbg, lua.LNil)
	fn, _ := fv.(*lua.LFunction)
	if err != nil || fn == nil || fn.IsG || frameBaseIndex == nil || regArray == nil {
		return nil
	}
	_, pc, ok := framePC(dbg)
	if !ok {
		return nil
	}
	base := int(reflect.ValueOf(dbg).Elem().FieldByIndex(dbgFrameField.Index).Elem().FieldByIndex(frameBaseIndex).Int())
	regs := regArray(L)
	lregs, starts, ends := localScopes(fn.Proto)
	var out []localVar
	for i, lv := range fn.Proto.DbgLocals {
		if lregs[i] >= 0 && starts[i] <= pc && pc <= ends[i] {
			var val lua.LValue = lua.LNil
			if r := base + lregs[i]; r < len(regs) && regs[r] != nil {
				val = regs[r]
			}
			out = append(out, localVar{lv.Name, val})
		}
	}
	return out
}

// localScopes is, for each of p's locals, its register and the first
// and last instruction (inclusive) at which it is active; register -1
// when the code does not tell it (the local is then not shown).
// gopher-lua's own ranges cannot be used: its EndPc is written by
// register number rather than by local (so a local can carry another's
// end), and it registers a for's hidden locals before their expressions.
// So, as Lua 5.1 scopes them: a local's register is the one its
// initialization wrote last (the A of the instruction before its
// StartPc; a local function's from its CLOSURE; a for's from its FORPREP
// or TFORLOOP); a local is dead once a
// later one takes its register or one below; a numeric for's hidden
// locals live from its FORPREP to its FORLOOP, its variable and body
// locals to the instruction before; a generic for's hidden locals from
// the JMP to its TFORLOOP to the JMP after it, its variables and body
// locals to the instruction before the TFORLOOP. A local of an if, while
// or do block may still show after its block until its register is
// taken again.
func localScopes(p *lua.FunctionProto) (regs, starts, ends []int) {
	n := len(p.DbgLocals)
	regs, starts, ends = make([]int, n), make([]int, n), make([]int, n)
	code := p.Code
	op := func(pc int) int { return int(code[pc] >> 26) }
	argA := func(pc int) int { return int(code[pc]>>18) & 0xff }
	argB := func(pc int) int { return int(code[pc] & 0x1ff) }
	argC := func(pc int) int { return int(code[pc]>>9) & 0x1ff }
	sbx := func(pc int) int { return int(code[pc]&0x3ffff) - (1<<18-1)>>1 }
	find := func(from int, ok func(pc int) bool) int {
		for pc := max(from, 0); pc < len(code); pc++ {
			if ok(pc) {
				return pc
			}
		}
		return -1
	}
	takes := make([]int, n) // where a local's register is first written
	for i := range regs {
		regs[i], starts[i], ends[i] = -1, p.DbgLocals[i].StartPc, len(code)
		takes[i] = -1
	}
	params := 0
	for i := 0; i < n; {
		lv := p.DbgLocals[i]
		switch {
		case lv.StartPc == 0:
			regs[i] = params
			params++
			i++
			continue
		case lv.Name == "(for index)":
			prep := find(lv.StartPc-1, func(pc int) bool { return op(pc) == lua.OP_FORPREP })
			if prep < 0 || i+3 >= n {
				break
			}
			loop := prep + 1 + sbx(prep)
			a := argA(prep)
			for k := 0; k < 4; k++ {
				regs[i+k], starts[i+k], ends[i+k] = a+k, prep, loop
			}
			starts[i+3], ends[i+3] = p.DbgLocals[i+3].StartPc, loop-1
			for j := i + 4; j < n && p.DbgLocals[j].StartPc <= loop; j++ {
				ends[j] = loop - 1
			}
			i += 4
			continue
		case lv.Name == "(for generator)":
			tfor := find(lv.StartPc, func(pc int) bool { return op(pc) == lua.OP_TFORLOOP })
			if tfor < 0 || i+2 >= n {
				break
			}
			jmp := find(lv.StartPc, func(pc int) bool { return op(pc) == lua.OP_JMP && pc+1+sbx(pc) == tfor })
			if jmp < 0 {
				break
			}
			a := argA(tfor)
			for k := 0; k < 3; k++ {
				regs[i+k], starts[i+k], ends[i+k] = a+k, jmp, tfor+1
			}
			j := i + 3
			for k := 0; j < n && p.DbgLocals[j].StartPc <= tfor; j, k = j+1, k+1 {
				if p.DbgLocals[j].StartPc == p.DbgLocals[i+3].StartPc && j < n {
					regs[j] = a + 3 + k // the loop's variables
				}
				ends[j] = tfor - 1
			}
			i += 3
			continue
		}
		// A group of locals registered together (local a, b = ...).
		g := i + 1
		for g < n && p.DbgLocals[g].StartPc == lv.StartPc && !strings.HasPrefix(p.DbgLocals[g].Name, "(for ") {
			g++
		}
		// "local function f" (and "local f = function"): gopher-lua
		// registers f before its CLOSURE, at f's own StartPc.
		if s := p.DbgLocals[g-1].StartPc; s < len(code) && op(s) == lua.OP_CLOSURE {
			regs[g-1], starts[g-1] = argA(s), s+1 // active after it, as in Lua 5.1
			takes[g-1] = s
		}
		if pc := lv.StartPc - 1; pc >= 0 && pc < len(code) {
			last := argA(pc)
			switch op(pc) {
			case lua.OP_LOADNIL:
				last = argB(pc)
			case lua.OP_CALL:
				if c := argC(pc); c > 1 {
					last = argA(pc) + c - 2
				}
			case lua.OP_VARARG:
				if b := argB(pc); b > 1 {
					last = argA(pc) + b - 2
				}
			}
			top := g - 1 // the last local the instruction initialized
			if regs[g-1] >= 0 {
				top = g - 2
			}
			for k := i; k <= top; k++ {
				if r := last - (top - k); r >= 0 && regs[k] < 0 {
					regs[k] = r
				}
			}
		}
		i = g
	}
	// A local is dead once a later one takes its register or one below.
	for j := 0; j < n; j++ {
		if regs[j] < 0 {
			continue
		}
		at := starts[j]
		if takes[j] >= 0 {
			at = takes[j]
		}
		for i := 0; i < j; i++ {
			if regs[i] >= regs[j] && ends[i] >= at && starts[i] < at {
				ends[i] = at - 1
			}
		}
	}
	return regs, starts, ends
}

// framePC is the identity of dbg's frame and the index of the
// instruction it is about to run.
func framePC(dbg *lua.Debug) (uintptr, int, bool) {
	if framePcIndex == nil {
		return 0, 0, false
	}
	f := reflect.ValueOf(dbg).Elem().FieldByIndex(dbgFrameField.Index)
	if f.IsNil() {
		return 0, 0, false
	}
	return f.Pointer(), int(f.Elem().FieldByIndex(framePcIndex).Int()) - 1, true
}
