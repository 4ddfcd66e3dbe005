package script

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/resp"
)

// The Lua debugger (LDB), as Redis 7.0's eval.c: a debugging client's
// EVAL runs with a per-line hook that stops the script, sends the client
// log lines (a RESP array of simple strings) and reads debugger commands
// from the client's socket until one resumes the script (step, continue)
// or ends it (abort). See docs/scripting.md.
//
// gopher-lua has no line hook, but its interpreter asks the state's
// context for Done() before every instruction; a debugging run gets a
// context (debugCtx) whose Done() is the hook. Runs that are not debugged
// keep the plain killCtx, so they pay nothing for this.

// DebugConn is the debugging client's socket: Read blocks until bytes
// arrive and fails once the client is gone; Write writes everything.
type DebugConn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}

const (
	ldbBreakpointsMax = 64
	ldbMaxLenDefault  = 256
	ldbMaxValuesDepth = 10 // LUA_MINSTACK/2
	ldbCountHook      = 100000
)

// Debug is one debugging session (Redis's global ldb state, one per
// debugged EVAL here).
type Debug struct {
	conn DebugConn
	// BusyMs is busy-reply-threshold in milliseconds: a script that runs
	// that long without stopping is stopped ("timeout reached"); 0 means
	// 5000, as Redis.
	BusyMs int64

	src      []string
	logs     []string
	cbuf     []byte
	bp       []int
	step     bool
	luabp    bool
	line     int // the current line
	maxlen   int
	hintSent bool
	start    int64 // clock.Mono of the start or the last stop
}

// NewDebug starts a session on conn for the script body (its lines are
// what list, whole and the stop lines show).
func NewDebug(conn DebugConn, body []byte) *Debug {
	body = bytes.TrimRight(body, "\r\n")
	d := &Debug{conn: conn, step: true, maxlen: ldbMaxLenDefault, start: clock.Mono()}
	for _, l := range bytes.Split(body, []byte("\n")) {
		d.src = append(d.src, string(l))
	}
	if len(body) == 0 {
		d.src = nil
	}
	return d
}

// End logs "<endsession>" and sends what is left to send (ldbEndSession);
// the EVAL's reply follows on the ordinary path.
func (d *Debug) End() {
	d.log("<endsession>")
	d.sendLogs()
}

func (d *Debug) log(s string) { d.logs = append(d.logs, s) }

// logMax is ldbLogWithMaxLen: trimmed to maxlen with a hint the first time.
func (d *Debug) logMax(s string) {
	trimmed := false
	if d.maxlen > 0 && len(s) > d.maxlen {
		s = s[:d.maxlen] + " ..."
		trimmed = true
	}
	d.log(s)
	if trimmed && !d.hintSent {
		d.hintSent = true
		d.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.")
	}
}

// sendLogs writes the logs as an array of simple strings (newlines become
// spaces) and empties them. A write error is caught by the next read.
func (d *Debug) sendLogs() {
	b := make([]byte, 0, 64)
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(d.logs)), 10)
	b = append(b, "\r\n"...)
	for _, l := range d.logs {
		b = append(b, '+')
		for i := 0; i < len(l); i++ {
			c := l[i]
			if c == '\r' || c == '\n' {
				c = ' '
			}
			b = append(b, c)
		}
		b = append(b, "\r\n"...)
	}
	d.logs = d.logs[:0]
	d.conn.Write(b)
}

func (d *Debug) sourceLine(n int) string {
	if n < 1 || n > len(d.src) {
		return "<out of range source code line>"
	}
	return d.src[n-1]
}

func (d *Debug) isBreakpoint(n int) bool {
	for _, b := range d.bp {
		if b == n {
			return true
		}
	}
	return false
}

func (d *Debug) logSourceLine(n int) {
	cur, bp := d.line == n, d.isBreakpoint(n)
	prefix := "   "
	switch {
	case cur && bp:
		prefix = "->#"
	case cur:
		prefix = "-> "
	case bp:
		prefix = "  #"
	}
	d.log(fmt.Sprintf("%s%-3d %s", prefix, n, d.sourceLine(n)))
}

func (d *Debug) list(around, context int) {
	for j := 1; j <= len(d.src); j++ {
		if around != 0 && abs(around-j) > context {
			continue
		}
		d.logSourceLine(j)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// parseCommand is ldbReplParseCommand: one RESP array of bulk strings
// (each 1..1024 bytes, at most 1024 of them) from cbuf; nil, "" to read
// more; "protocol error" when cbuf cannot be one.
func (d *Debug) parseCommand() ([][]byte, string) {
	if len(d.cbuf) == 0 {
		return nil, ""
	}
	b := d.cbuf
	i := bytes.IndexByte(b, '*')
	if i < 0 {
		return nil, "protocol error"
	}
	b = b[i+1:]
	e := bytes.Index(b, []byte("\r\n"))
	if e < 0 {
		return nil, ""
	}
	argc := cAtoi(b[:e])
	b = b[e+2:]
	if argc <= 0 || argc > 1024 {
		return nil, "protocol error"
	}
	argv := make([][]byte, 0, argc)
	for len(argv) < argc {
		if len(b) == 0 {
			return nil, ""
		}
		if b[0] != '$' {
			return nil, "protocol error"
		}
		e = bytes.Index(b, []byte("\r\n"))
		if e < 0 {
			return nil, ""
		}
		n := cAtoi(b[1:e])
		b = b[e+2:]
		if n <= 0 || n > 1024 {
			return nil, "protocol error"
		}
		if len(b) < n+2 {
			return nil, ""
		}
		argv = append(argv, b[:n])
		if b[n] != '\r' || b[n+1] != '\n' {
			return nil, "protocol error"
		}
		b = b[n+2:]
	}
	return argv, ""
}

// cAtoi is C's atoi: leading blanks, a sign, then digits.
func cAtoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	n := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
		if n > math.MaxInt32 {
			n = math.MaxInt32
		}
	}
	if neg {
		return -n
	}
	return n
}

// cstr is what a C string of b reads: b up to its first NUL.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// string2l is Redis's strict integer parse (no blanks, no '+', no
// leading zeros, no "-0").
func string2l(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	t := strings.TrimPrefix(s, "-")
	if t == "" || t[0] < '1' || t[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// debugCtx is the context of a debugging run: its Done() is the line
// hook (luaLdbLineHook). kill stays the vm's kill context.
type debugCtx struct {
	v      *vm
	d      *Debug
	kill   *killCtx
	inHook bool
	count  int
	frames map[uintptr]int // a frame's last instruction run
	thread *lua.LState     // runs eval and redis from the prompt
}

func (c *debugCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *debugCtx) Value(any) any               { return nil }
func (c *debugCtx) Err() error                  { return c.kill.Err() }
func (c *debugCtx) Done() <-chan struct{} {
	if !c.inHook {
		c.inHook = true
		c.hook()
		c.inHook = false
	}
	return c.kill.ch
}

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

// hook runs before every instruction of a debugged run. Like Lua 5.1's
// line hook it fires on entering a function, on a backward jump, and on
// an instruction of another line than the frame's previous one; like
// Redis's count hook, every 100000 instructions it checks the time.
func (c *debugCtx) hook() {
	L, d := c.v.L, c.d
	dbg, ok := L.GetStack(0)
	if !ok {
		return
	}
	fv, err := L.GetInfo("Slf", dbg, lua.LNil)
	fn, _ := fv.(*lua.LFunction)
	if err != nil || fn == nil || fn.IsG {
		return
	}
	id, pc, ok := framePC(dbg)
	if !ok || pc < 0 || pc >= len(fn.Proto.DbgSourcePositions) {
		return
	}
	pos := fn.Proto.DbgSourcePositions
	last, seen := c.frames[id]
	c.frames[id] = pc
	lineEvent := pc == 0 || !seen || pc <= last || last >= len(pos) || pos[pc] != pos[last]
	c.count++
	countEvent := c.count%ldbCountHook == 0
	if !lineEvent && !countEvent {
		return
	}
	d.line = dbg.CurrentLine
	bp := d.luabp || d.isBreakpoint(d.line)
	if !strings.Contains(dbg.Source, evalChunk) {
		return
	}
	// The count event (Lua calls the hook for it apart from the line
	// event): a script that ran too long without stopping stops now.
	timeout := false
	if countEvent && !d.step && !bp {
		limit := d.BusyMs
		if limit <= 0 {
			limit = 5000
		}
		if time.Duration(clock.Mono()-d.start) >= time.Duration(limit)*time.Millisecond {
			timeout, d.step = true, true
		}
	}
	if !d.step && !bp {
		return
	}
	reason := "step over"
	if bp {
		reason = "break point"
		if d.luabp {
			reason = "redis.breakpoint() called"
		}
	} else if timeout {
		reason = "timeout reached, infinite loop?"
	}
	d.step, d.luabp = false, false
	d.log(fmt.Sprintf("* Stopped at %d, stop reason = %s", d.line, reason))
	d.logSourceLine(d.line)
	d.sendLogs()
	if !c.repl() && timeout {
		raise(L, "timeout during Lua debugging with client closing connection")
	}
	d.start = clock.Mono()
}

// repl reads and runs debugger commands until one resumes the script
// (ldbRepl); false when the client is gone (the script then runs to its
// end without stopping).
func (c *debugCtx) repl() bool {
	d, L := c.d, c.v.L
	for {
		var argv [][]byte
		for {
			var perr string
			argv, perr = d.parseCommand()
			if argv != nil {
				break
			}
			if perr != "" {
				raise(L, perr)
			}
			var buf [1024]byte
			n, err := d.conn.Read(buf[:])
			if n <= 0 || err != nil {
				d.step = false
				d.bp = nil
				return false
			}
			d.cbuf = append(d.cbuf, buf[:n]...)
			if len(d.cbuf) > 1<<20 {
				d.cbuf = nil
				raise(L, "max client buffer reached")
			}
		}
		d.cbuf = d.cbuf[:0] // what followed the command is dropped, as Redis does
		switch name := strings.ToLower(cstr(argv[0])); {
		case name == "h" || name == "help":
			for _, l := range ldbHelp {
				d.log(l)
			}
			d.sendLogs()
		case name == "s" || name == "step" || name == "n" || name == "next":
			d.step = true
			return true
		case name == "c" || name == "continue":
			return true
		case name == "t" || name == "trace":
			c.trace()
			d.sendLogs()
		case name == "m" || name == "maxlen":
			if len(argv) == 2 {
				n := cAtoi(argv[1])
				d.hintSent = true
				if n != 0 && n <= 60 {
					n = 60
				}
				d.maxlen = n
			}
			if d.maxlen != 0 {
				d.log(fmt.Sprintf("<value> replies are truncated at %d bytes.", d.maxlen))
			} else {
				d.log("<value> replies are unlimited.")
			}
			d.sendLogs()
		case name == "b" || name == "break":
			d.breakCmd(argv)
			d.sendLogs()
		case name == "e" || name == "eval":
			c.eval(argv)
			d.sendLogs()
		case name == "a" || name == "abort":
			raise(L, "script aborted for user request")
		case len(argv) > 1 && (name == "r" || name == "redis"):
			c.redis(argv)
			d.sendLogs()
		case name == "p" || name == "print":
			if len(argv) == 2 {
				c.print(cstr(argv[1]))
			} else {
				c.printAll()
			}
			d.sendLogs()
		case name == "l" || name == "list":
			around, ctx := d.line, 5
			if len(argv) > 1 {
				if n := cAtoi(argv[1]); n > 0 {
					around = n
				}
			}
			if len(argv) > 2 {
				ctx = cAtoi(argv[2])
			}
			d.list(around, ctx)
			d.sendLogs()
		case name == "w" || name == "whole":
			d.list(1, 1000000)
			d.sendLogs()
		default:
			d.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
			d.sendLogs()
		}
	}
}

var ldbHelp = []string{
	"Redis Lua debugger help:",
	"[h]elp               Show this help.",
	"[s]tep               Run current line and stop again.",
	"[n]ext               Alias for step.",
	"[c]ontinue           Run till next breakpoint.",
	"[l]ist               List source code around current line.",
	"[l]ist [line]        List source code around [line].",
	"                     line = 0 means: current position.",
	"[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
	"                     to show before/after [line].",
	"[w]hole              List all source code. Alias for 'list 1 1000000'.",
	"[p]rint              Show all the local variables.",
	"[p]rint <var>        Show the value of the specified variable.",
	"                     Can also show global vars KEYS and ARGV.",
	"[b]reak              Show all breakpoints.",
	"[b]reak <line>       Add a breakpoint to the specified line.",
	"[b]reak -<line>      Remove breakpoint from the specified line.",
	"[b]reak 0            Remove all breakpoints.",
	"[t]race              Show a backtrace.",
	"[e]val <code>        Execute some Lua code (in a different callframe).",
	"[r]edis <cmd>        Execute a Redis command.",
	"[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
	"                     Specifying zero as <len> means unlimited.",
	"[a]bort              Stop the execution of the script. In sync",
	"                     mode dataset changes will be retained.",
	"",
	"Debugger functions you can call from Lua scripts:",
	"redis.debug()        Produce logs in the debugger console.",
	"redis.breakpoint()   Stop execution like if there was a breakpoint in the",
	"                     next line of code.",
}

// breakCmd is ldbBreak: list, add, remove breakpoints.
func (d *Debug) breakCmd(argv [][]byte) {
	if len(argv) == 1 {
		if len(d.bp) == 0 {
			d.log("No breakpoints set. Use 'b <line>' to add one.")
			return
		}
		d.log(fmt.Sprintf("%d breakpoints set:", len(d.bp)))
		for _, b := range d.bp {
			d.logSourceLine(b)
		}
		return
	}
	for _, a := range argv[1:] {
		line, ok := string2l(string(a))
		switch {
		case !ok:
			d.log("Invalid argument:'" + cstr(a) + "'")
		case line == 0:
			d.bp = d.bp[:0]
			d.log("All breakpoints removed.")
		case line > 0:
			if len(d.bp) == ldbBreakpointsMax {
				d.log("Too many breakpoints set.")
			} else if line <= int64(len(d.src)) && !d.isBreakpoint(int(line)) {
				d.bp = append(d.bp, int(line))
				d.list(int(line), 1)
			} else {
				d.log("Wrong line number.")
			}
		default:
			removed := false
			for i, b := range d.bp {
				if int64(b) == -line {
					d.bp = append(d.bp[:i], d.bp[i+1:]...)
					removed = true
					break
				}
			}
			if removed {
				d.log("Breakpoint removed.")
			} else {
				d.log("No breakpoint in the specified line.")
			}
		}
	}
}

// print is ldbPrint: the first local of that name from the current frame
// outwards, else the KEYS or ARGV global.
func (c *debugCtx) print(name string) {
	L, d := c.v.L, c.d
	for lv := 0; ; lv++ {
		dbg, ok := L.GetStack(lv)
		if !ok {
			break
		}
		for _, lv := range locals(L, dbg) {
			if lv.name == name {
				d.logMax("<value> " + d.repr(lv.val))
				return
			}
		}
	}
	if name == "ARGV" || name == "KEYS" {
		d.logMax("<value> " + d.repr(c.v.real.RawGetString(name)))
		return
	}
	d.log("No such variable.")
}

// printAll is ldbPrintAll: the current frame's locals.
func (c *debugCtx) printAll() {
	L, d := c.v.L, c.d
	vars := 0
	if dbg, ok := L.GetStack(0); ok {
		for _, lv := range locals(L, dbg) {
			d.logMax("<value> " + lv.name + " = " + d.repr(lv.val))
			vars++
		}
	}
	if vars == 0 {
		d.log("No local variables in the current context.")
	}
}

// trace is ldbTrace: the script's frames, innermost first.
func (c *debugCtx) trace() {
	L, d := c.v.L, c.d
	level := 0
	for ; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Snl", dbg, lua.LNil); err != nil || !strings.Contains(dbg.Source, evalChunk) {
			continue
		}
		where := "From"
		if level == 0 {
			where = "In"
		}
		name := dbg.Name
		if name == "" || name == "?" || name == "main chunk" {
			name = "top level"
		}
		d.log(where + " " + name + ":")
		d.logSourceLine(dbg.CurrentLine)
	}
	if level == 0 {
		d.log("<error> Can't retrieve Lua stack.")
	}
}

// luaThread is a state of its own (sharing the globals) for code run from
// the prompt: the interrupted frame's registers are not touched.
func (c *debugCtx) luaThread() *lua.LState {
	if c.thread == nil {
		L := c.v.L
		old := L.RemoveContext() // a thread made under a context would watch it from a goroutine
		c.thread, _ = L.NewThread()
		L.SetContext(old)
	}
	c.thread.SetTop(0)
	return c.thread
}

// eval is ldbEval: the code as an expression ("return " prepended), else
// as a statement, in a frame of its own.
func (c *debugCtx) eval(argv [][]byte) {
	d := c.d
	parts := make([]string, 0, len(argv)-1)
	for _, a := range argv[1:] {
		parts = append(parts, string(a))
	}
	code := strings.Join(parts, " ")
	proto, err := compile([]byte("return "+code), "ldb_eval")
	if err != nil {
		if proto, err = compile([]byte(code), "ldb_eval"); err != nil {
			d.log("<error> " + err.Error())
			return
		}
	}
	th := c.luaThread()
	fn := th.NewFunctionFromProto(proto)
	fn.Env = c.v.evalEnv
	th.Push(fn)
	if err := th.PCall(0, 1, nil); err != nil {
		d.log("<error> " + errorString(err))
		th.SetTop(0)
		return
	}
	d.logMax("<retval> " + d.repr(th.Get(-1)))
	th.SetTop(0)
}

// errorString is an error's message as lua_tostring gives it.
func errorString(err error) string {
	if aerr, ok := err.(*lua.ApiError); ok && aerr.Object != nil {
		switch o := aerr.Object.(type) {
		case lua.LString, lua.LNumber:
			return luaToStringValue(o)
		case *lua.LTable:
			if s, ok := o.RawGetString("err").(lua.LString); ok {
				return string(s)
			}
		}
		return "(null)"
	}
	return err.Error()
}

// redis is ldbRedis: redis.call with the arguments, logged as in step mode.
func (c *debugCtx) redis(argv [][]byte) {
	th := c.luaThread()
	th.Push(c.v.callFn)
	for _, a := range argv[1:] {
		th.Push(lua.LString(a))
	}
	c.d.step = true
	th.PCall(len(argv)-1, 1, nil)
	c.d.step = false
	th.SetTop(0)
}

// logging reports whether redis.call should log (ldbIsEnabled: a session
// and step mode).
func (d *Debug) logging() bool { return d != nil && d.step }

// logCommand is the "<redis> cmd args" line (at most 10 words).
func (d *Debug) logCommand(args [][]byte) {
	var sb strings.Builder
	sb.WriteString("<redis>")
	for j, a := range args {
		if j == 10 {
			fmt.Fprintf(&sb, " ... (%d more)", len(args)-j-1)
			break
		}
		sb.WriteByte(' ')
		sb.WriteString(cstr(a))
	}
	d.log(sb.String())
}

// logReply is ldbLogRedisReply: the reply in a human form.
func (d *Debug) logReply(reply []byte) {
	var sb strings.Builder
	sb.WriteString("<reply> ")
	respToHuman(&sb, reply)
	d.logMax(sb.String())
}

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
