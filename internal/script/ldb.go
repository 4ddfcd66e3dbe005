package script

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/internal/clock"
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
