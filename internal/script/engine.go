package script

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"

	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/resp"
)

// Host runs the commands a script calls, after the checks Redis makes in
// scriptCall (done here). Exec writes the command's reply to w (in
// w.Proto) and returns "", or refuses it and returns the error text in
// Redis's words ("Script attempted to access a non local key in a cluster
// node"), writing nothing. It returns ErrRestart to ask the engine to stop
// the script at once, with no reply, so the host can run it again under
// wider locks.
type Host interface {
	Exec(run *Run, spec *command.Spec, args [][]byte, w *resp.Writer) string
}

// ACLPermitter is a Host that answers redis.acl_check_cmd: whether the
// calling user may run a command with these arguments (keys and channels
// included), without an ACL LOG entry.
type ACLPermitter interface {
	ACLPermits(spec *command.Spec, args [][]byte) bool
}

// ACLChecker is a Host that checks the calling user's ACL permissions
// for each command a script calls; it returns the error, or "".
type ACLChecker interface {
	CheckACL(spec *command.Spec, args [][]byte) string
}

// Rejecter is a Host told of every command the script called that was
// refused before it ran (scriptCall's error path: afterErrorReply and the
// command's rejected_calls); spec is nil for an unknown command.
type Rejecter interface {
	Rejected(spec *command.Spec, msg string)
}

// ErrRestart is the text a Host returns to stop a script for a re-run.
const ErrRestart = "\x00restart"

// Script is one cached EVAL body.
type Script struct {
	SHA   string
	Body  []byte
	Flags Flags
	// Closed: every key the script can reach is a declared key (closed.go).
	Closed bool
	proto  *lua.FunctionProto
}

// Run is one invocation of a script or function.
type Run struct {
	Host Host
	// Name is what error messages call the script: its SHA, or the
	// function's name.
	Name string
	// Eval: an EVAL script (SCRIPT KILL), else a function (FUNCTION KILL).
	Eval bool
	// ReadOnly: EVAL_RO/FCALL_RO or a no-writes script; write commands are refused.
	ReadOnly bool
	Flags    Flags
	// ReplFlags is redis.set_repl's choice (REPL_ALL by default).
	ReplFlags int
	// Data is the host's own state for this run.
	Data any
	// Args is the command that started the run (FUNCTION STATS shows it).
	Args [][]byte
	// Debug is the Lua debugger session of a debugged EVAL (ldb.go), or
	// nil. A debugged run is neither BUSY nor killable: it stops itself
	// when it runs too long, as Redis's does.
	Debug *Debug
	// ErrReply: the run replied with an error; ErrCounted: that error was
	// already counted in errorstats by the command that raised it
	// (Redis's ignore_error_stats_update), so only failed_calls counts it.
	ErrReply, ErrCounted bool

	proto   int
	start   int64 // clock.Mono at the start
	wrote   atomic.Bool
	killed  atomic.Bool
	restart bool
	vm      *vm
}

// Wrote reports whether the script has run a write command.
func (r *Run) Wrote() bool { return r.wrote.Load() }

// Proto is the RESP version the script selected (redis.setresp).
func (r *Run) Proto() int { return r.proto }

// Engine holds the script cache, the function libraries and the pool of
// Lua states.
type Engine struct {
	table *command.Table
	// Log receives redis.log lines (level 0 debug … 3 warning).
	Log func(level int, msg string)

	mu      sync.RWMutex
	scripts map[string]*Script
	gen     atomic.Uint64

	poolMu sync.Mutex
	pool   []*vm
	// all is every vm made, so Running and Kill can look at what each runs.
	all []*vm
	// nextRun numbers the runs (RunInfo.ID).
	nextRun atomic.Uint64

	rand *lrand48

	// Functions are the FUNCTION libraries.
	Functions *Functions
	// AllowNoscript lets scripts run noscript commands (DEBUG
	// SET-DISABLE-DENY-SCRIPTS, a testing switch of Redis's).
	AllowNoscript atomic.Bool
}

// NewEngine makes an engine that runs commands of table.
func NewEngine(table *command.Table) *Engine {
	e := &Engine{table: table, scripts: make(map[string]*Script), rand: newLrand48()}
	e.Functions = newFunctions(e)
	return e
}

// SHA1Hex is the script's SHA1 in lower-case hex.
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Load compiles body into the cache (SCRIPT LOAD, EVAL) and returns it,
// or the error reply text.
func (e *Engine) Load(body []byte) (*Script, string) {
	sha := SHA1Hex(body)
	e.mu.RLock()
	s := e.scripts[sha]
	e.mu.RUnlock()
	if s != nil {
		return s, ""
	}
	flags, skip, msg := ParseShebang(body)
	if msg != "" {
		return nil, "ERR " + msg
	}
	proto, stmts, err := compileChunk(body[skip:], evalChunk)
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + err.Error()
	}
	s = &Script{SHA: sha, Body: bytes.Clone(body), Flags: flags, proto: proto, Closed: analyzeClosed(stmts, e.table)}
	e.mu.Lock()
	if old := e.scripts[sha]; old != nil {
		s = old
	} else {
		e.scripts[sha] = s
	}
	e.mu.Unlock()
	return s, ""
}

// Get finds a cached script by SHA (any case); nil if absent.
func (e *Engine) Get(sha []byte) *Script {
	if len(sha) != 40 {
		return nil
	}
	var buf [40]byte
	for i, c := range sha {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	e.mu.RLock()
	s := e.scripts[string(buf[:])]
	e.mu.RUnlock()
	return s
}

// Exists reports whether a script is cached, by its exact SHA (SCRIPT EXISTS).
func (e *Engine) Exists(sha []byte) bool {
	e.mu.RLock()
	_, ok := e.scripts[string(sha)]
	e.mu.RUnlock()
	return ok
}

// Flush empties the script cache (SCRIPT FLUSH).
func (e *Engine) Flush() {
	e.mu.Lock()
	e.scripts = make(map[string]*Script)
	e.gen.Add(1)
	e.mu.Unlock()
}

// Len is the number of cached scripts (INFO number_of_cached_scripts).
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.scripts)
}

// compile parses and compiles a chunk; errors read as Lua's
// ("user_script:1: ... near 'x'").
//
// Lua 5.1's lexical and syntax errors are Lua's: parse51.go checks the
// chunk as lparser.c does first; gopher-lua's own parse errors remain for
// what Lua accepts and gopher-lua does not.
func compile(src []byte, chunk string) (*lua.FunctionProto, error) {
	proto, _, err := compileChunk(src, chunk)
	return proto, err
}

// compileChunk is compile that also returns the chunk's syntax tree.
func compileChunk(src []byte, chunk string) (*lua.FunctionProto, []ast.Stmt, error) {
	if e := parse51Check(src); e != nil {
		return nil, nil, fmt.Errorf("%s:%d: %s", chunk, e.line, e.msg)
	}
	stmts, err := parse.Parse(bytes.NewReader(src), chunk)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			line := pe.Pos.Line
			if line == parse.EOF {
				line = bytes.Count(src, []byte("\n")) + 1
				return nil, nil, fmt.Errorf("%s:%d: %s near '<eof>'", chunk, line, pe.Message)
			}
			return nil, nil, fmt.Errorf("%s:%d: %s near '%s'", chunk, line, pe.Message, pe.Token)
		}
		return nil, nil, fmt.Errorf("%s: %s", chunk, strings.TrimSpace(err.Error()))
	}
	proto, err := lua.Compile(stmts, chunk)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			return nil, nil, fmt.Errorf("%s:%d: %s", chunk, ce.Line, ce.Message)
		}
		return nil, nil, err
	}
	closureLines(proto)
	return proto, stmts, nil
}

// closureLines gives each CLOSURE instruction the line of its function's
// "end", as Lua 5.1's code generator does (gopher-lua gives the line of
// "function"): the debugger stops at that line before a local function
// is defined, as Redis's does.
func closureLines(p *lua.FunctionProto) {
	for pc, inst := range p.Code {
		if int(inst>>26) != lua.OP_CLOSURE || pc >= len(p.DbgSourcePositions) {
			continue
		}
		if bx := int(inst & 0x3ffff); bx < len(p.FunctionPrototypes) {
			p.DbgSourcePositions[pc] = p.FunctionPrototypes[bx].LastLineDefined
		}
	}
	for _, c := range p.FunctionPrototypes {
		closureLines(c)
	}
}

// PrepareError is scriptPrepareForRun's refusal of a script with
// declared flags (none for an EVAL without shebang), or "".
func PrepareError(flags Flags, ro, clusterEnabled bool) string {
	if flags&FlagEvalCompat != 0 {
		return ""
	}
	if flags&FlagNoCluster != 0 && clusterEnabled {
		return "ERR Can not run script on cluster, 'no-cluster' flag is set."
	}
	if flags&FlagNoWrites == 0 && ro {
		return "ERR Can not execute a script with write flag using *_ro command."
	}
	return ""
}

func (e *Engine) getVM() *vm {
	e.poolMu.Lock()
	if n := len(e.pool); n > 0 {
		v := e.pool[n-1]
		e.pool = e.pool[:n-1]
		e.poolMu.Unlock()
		return v
	}
	e.poolMu.Unlock()
	v := newVM(e)
	e.poolMu.Lock()
	e.all = append(e.all, v)
	e.poolMu.Unlock()
	return v
}

// RunInfo is a running script as another goroutine sees it (BUSY, KILL,
// FUNCTION STATS): copied while the run was still going, since a Run is
// reset and reused by its owner as soon as it ends.
type RunInfo struct {
	Name  string
	Eval  bool
	Wrote bool
	Start int64    // clock.Mono at the start
	Args  [][]byte // the command that started it (copies; only when asked for)
	ID    uint64   // unique per run
	vm    *vm
}

// Elapsed is how long the run had been going at now (clock.Mono).
func (i *RunInfo) Elapsed(now int64) time.Duration { return time.Duration(now - i.Start) }

// runs returns what every vm is running now; withArgs copies each run's
// command too.
func (e *Engine) runs(withArgs bool) []RunInfo {
	e.poolMu.Lock()
	defer e.poolMu.Unlock()
	var out []RunInfo
	for _, v := range e.all {
		v.killMu.Lock()
		if r := v.current.Load(); r != nil && r.Debug == nil {
			i := RunInfo{Name: r.Name, Eval: r.Eval, Wrote: r.wrote.Load(), Start: r.start, ID: v.runID, vm: v}
			if withArgs {
				for _, a := range r.Args {
					i.Args = append(i.Args, append([]byte(nil), a...))
				}
			}
			out = append(out, i)
		}
		v.killMu.Unlock()
	}
	return out
}

func (e *Engine) putVM(v *vm) {
	e.poolMu.Lock()
	e.pool = append(e.pool, v)
	e.poolMu.Unlock()
}

// RunScript runs an EVAL script and writes its reply to w. It returns
// true, having written nothing, when the host asked for a restart.
func (e *Engine) RunScript(run *Run, s *Script, keys, args [][]byte, w *resp.Writer) bool {
	v := e.getVM()
	defer e.putVM(v)
	if g := e.gen.Load(); g != v.gen {
		clear(v.scripts)
		v.gen = g
	}
	fn := v.scripts[s.SHA]
	if fn == nil {
		fn = v.L.NewFunctionFromProto(s.proto)
		fn.Env = v.evalEnv
		v.scripts[s.SHA] = fn
	}
	run.Eval = true
	if t, fresh := v.refill(&v.keys, keys); fresh {
		v.real.RawSetString("KEYS", t)
	}
	if t, fresh := v.refill(&v.argv, args); fresh {
		v.real.RawSetString("ARGV", t)
	}
	return v.exec(run, fn, false, keys, args, w)
}

// refill puts items into *t, the table of the previous call, when that
// call left it a plain array (no metatable, no other keys), else into a
// new table (fresh). A script cannot keep a reference to KEYS or ARGV past
// its call (globals are read-only), so reusing them is not observable and
// saves their allocations.
func (v *vm) refill(t **lua.LTable, items [][]byte) (*lua.LTable, bool) {
	old := *t
	if old == nil || old.Metatable != lua.LNil {
		*t = v.array(items)
		return *t, true
	}
	n := old.MaxN()
	var after lua.LValue = lua.LNil
	if n > 0 {
		after = lua.LNumber(n)
	}
	if k, _ := old.Next(after); k != lua.LNil {
		*t = v.array(items)
		return *t, true
	}
	for i, it := range items {
		old.RawSetInt(i+1, lua.LString(it))
	}
	for i := len(items); i < n; i++ {
		old.RawSetInt(i+1, lua.LNil)
	}
	return old, false
}

func (v *vm) array(items [][]byte) *lua.LTable {
	t := v.L.CreateTable(len(items), 0)
	for i, it := range items {
		t.RawSetInt(i+1, lua.LString(it))
	}
	return t
}

// exec calls fn (with KEYS and ARGV tables as arguments for a function)
// under the error handler and converts what it returns (luaCallFunction).
func (v *vm) exec(run *Run, fn *lua.LFunction, withArgs bool, keys, args [][]byte, w *resp.Writer) bool {
	run.proto = 2
	run.ReplFlags = 3
	run.start = clock.Mono()
	run.vm = v
	v.run = run
	v.killMu.Lock()
	v.runID = v.e.nextRun.Add(1)
	v.current.Store(run)
	v.killMu.Unlock()

	L := v.L
	L.Push(fn)
	n := 0
	if withArgs {
		L.Push(v.array(keys))
		L.Push(v.array(args))
		n = 2
	}
	var err error
	if run.Debug == nil {
		err = L.PCall(n, 1, v.handler)
	} else {
		L.SetContext(&debugCtx{v: v, d: run.Debug, kill: v.kill, frames: make(map[uintptr]int)})
		err = L.PCall(n, 1, v.handler)
		L.SetContext(v.kill)
	}

	v.killMu.Lock()
	v.current.Store(nil)
	v.killMu.Unlock()
	v.run = nil
	if run.killed.Load() || run.restart {
		v.kill = newKillCtx()
		L.SetContext(v.kill)
	}
	if run.restart {
		L.SetTop(0)
		return true
	}
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if aerr, ok := err.(*lua.ApiError); ok && aerr.Object != nil {
			obj = aerr.Object
		}
		t, ok := obj.(*lua.LTable)
		run.ErrReply = true
		run.ErrCounted = ok && lua.LVAsBool(t.RawGetString("ignore_error_stats_update"))
		if !ok {
			msg := luaToStringValue(obj)
			if len(msg) > 100 {
				msg = msg[:100]
			}
			w.Error("ERR Error running script " + run.Name + ", " + msg)
		} else {
			msg := "(null)"
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				msg = string(s)
			}
			src, sok := t.RawGetString("source").(lua.LString)
			line := t.RawGetString("line")
			if sok && line != lua.LNil {
				msg += " script: " + run.Name + ", on " + string(src) + ":" + luaToStringValue(line) + "."
			}
			w.Error(msg)
		}
	} else {
		ret := L.Get(-1)
		if t, ok := ret.(*lua.LTable); ok {
			if _, isErr := t.RawGetString("err").(lua.LString); isErr {
				run.ErrReply = true
				run.ErrCounted = lua.LVAsBool(t.RawGetString("ignore_error_stats_update"))
			}
		}
		luaToRESP(w, ret, run.proto, 0)
	}
	L.SetTop(0)
	return false
}

// Running reports the oldest script running longer than threshold;
// withArgs copies its command too.
func (e *Engine) Running(threshold time.Duration, withArgs bool) (RunInfo, bool) {
	now := clock.Mono()
	var oldest RunInfo
	found := false
	for _, i := range e.runs(withArgs) {
		if i.Elapsed(now) >= threshold && (!found || i.Start < oldest.Start) {
			oldest, found = i, true
		}
	}
	return oldest, found
}

// Kill stops the running scripts (eval: SCRIPT KILL) or functions
// (FUNCTION KILL) and returns "" or the error reply text (scriptKill).
func (e *Engine) Kill(eval bool) string {
	running := e.runs(false)
	if len(running) == 0 {
		return "NOTBUSY No scripts in execution right now."
	}
	for _, i := range running {
		if i.Wrote {
			return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
		}
		if i.Eval != eval {
			if eval {
				return "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
			}
			return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
		}
	}
	for _, i := range running {
		v := i.vm
		v.killMu.Lock()
		if r := v.current.Load(); r != nil && v.runID == i.ID { // not finished meanwhile
			r.killed.Store(true)
			v.kill.close()
		}
		v.killMu.Unlock()
	}
	return ""
}

// abort stops run for a restart (see ErrRestart).
func (r *Run) abort() {
	r.restart = true
	r.vm.kill.close()
}

// lookup resolves a script's command (lookupCommand): a container
// command with a subcommand resolves to the subcommand.
func (e *Engine) lookup(args [][]byte) *command.Spec {
	spec := e.table.Lookup(args[0])
	if spec == nil {
		return nil
	}
	if spec.Subs != nil && len(args) >= 2 {
		spec = spec.LookupSub(args)
		if spec == nil {
			return nil
		}
	}
	if !spec.Implemented() {
		return nil
	}
	return spec
}

// call makes scriptCall's checks and hands the command to the host.
func (e *Engine) call(run *Run, args [][]byte, w *resp.Writer) string {
	spec := e.lookup(args)
	msg := e.callChecked(run, spec, args, w)
	if msg != "" && msg != ErrRestart {
		if r, ok := run.Host.(Rejecter); ok {
			r.Rejected(spec, msg)
		}
	}
	if msg == ErrRestart {
		run.wrote.Store(false)
		run.abort()
		return "ERR script restarted"
	}
	return msg
}

// callChecked is call after the lookup.
func (e *Engine) callChecked(run *Run, spec *command.Spec, args [][]byte, w *resp.Writer) string {
	if spec == nil {
		return "Unknown Redis command called from script"
	}
	if !spec.CheckArity(len(args)) {
		return "Wrong number of args calling Redis command from script"
	}
	if spec.Has(command.FlagNoscript) && !e.AllowNoscript.Load() {
		return "This Redis command is not allowed from script"
	}
	// The caller's ACL permissions (scriptVerifyACL), before the write
	// checks as in Redis.
	if a, ok := run.Host.(ACLChecker); ok {
		if msg := a.CheckACL(spec, args); msg != "" {
			return msg
		}
	}
	if run.ReadOnly && spec.Has(command.FlagWrite|command.FlagMayReplicate) {
		return "Write commands are not allowed from read-only scripts."
	}
	if spec.Has(command.FlagWrite) {
		run.wrote.Store(true)
	}
	return run.Host.Exec(run, spec, args, w)
}
