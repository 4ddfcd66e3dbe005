package script

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/internal/resp"
)

// Redis's version as scripts see it (redis.REDIS_VERSION, _NUM).
const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f
)

// Source names, as Redis's chunks are named: "user_script:1:" in error
// positions, "@user_script" in the " on @user_script:1." suffix.
const (
	evalChunk = "user_script"
	funcChunk = "user_function"
)

// vm is one Lua state with Redis's environment. A vm runs one script at a
// time; the Engine keeps a pool of them.
type vm struct {
	e *Engine
	L *lua.LState

	// real is the globals table the libraries live in; evalEnv is the
	// empty, read-only proxy scripts see as their globals (so a script can
	// neither create nor overwrite a global, as Redis's read-only tables
	// forbid). funcEnv is the same for function callbacks (its redis
	// table has no KEYS/ARGV and no EVAL-only helpers); loadAPI is what a
	// library body sees while FUNCTION LOAD runs it.
	real     *lua.LTable
	evalEnv  *lua.LTable
	funcReal *lua.LTable
	funcEnv  *lua.LTable
	funcMeta *lua.LTable
	loadAPI  *lua.LTable
	handler  *lua.LFunction

	// scripts binds cached prototypes to this state, by SHA.
	gen     uint64
	scripts map[string]*lua.LFunction
	// keys and argv are the KEYS and ARGV tables of the last EVAL, filled
	// again by the next one when the script left them plain arrays.
	keys, argv *lua.LTable
	// funcs binds the functions of every library (at libVersion).
	libVersion uint64
	funcs      map[string]*lua.LFunction
	funcLibs   map[string]*Library

	// The invocation being run (nil between runs), and the library being
	// loaded (FUNCTION LOAD) while its body runs.
	run  *Run
	load *loadCtx
	// current is run, readable by other goroutines (BUSY, KILL); killMu
	// makes "still running this run" and closing kill one step, and
	// guards runID (the run's number, Engine.nextRun) and the fields of
	// current other goroutines copy (RunInfo): a Run is reset and reused
	// once it ends.
	current atomic.Pointer[Run]
	killMu  sync.Mutex
	runID   uint64

	kill *killCtx
	// callFn is the EVAL redis.call (the debugger's redis command).
	callFn *lua.LFunction
	args   [][]byte
	w      resp.Writer
}

// killCtx is the context gopher-lua polls between instructions: SCRIPT
// KILL closes it, and every later instruction raises the kill error (so a
// pcall in the script cannot swallow it, as Redis's line hook ensures).
type killCtx struct {
	ch   chan struct{}
	once sync.Once
}

func newKillCtx() *killCtx { return &killCtx{ch: make(chan struct{})} }

func (k *killCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (k *killCtx) Done() <-chan struct{}       { return k.ch }
func (k *killCtx) Value(any) any               { return nil }
func (k *killCtx) Err() error {
	select {
	case <-k.ch:
		return errKilled
	default:
		return nil
	}
}
func (k *killCtx) close() { k.once.Do(func() { close(k.ch) }) }

type killedError struct{}

func (killedError) Error() string { return "Script killed by user with SCRIPT KILL..." }

var errKilled error = killedError{}

var _ context.Context = (*killCtx)(nil)

func init() {
	// Redis's Lua has no Lua 5.0 "arg" table in vararg functions; without
	// this gopher-lua builds one on every call of a script's main chunk.
	lua.CompatVarArg = false
}

func newVM(e *Engine) *vm {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, RegistrySize: 1024 * 4, RegistryMaxSize: 1024 * 1024})
	v := &vm{e: e, L: L, scripts: make(map[string]*lua.LFunction),
		funcs: make(map[string]*lua.LFunction), funcLibs: make(map[string]*Library)}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{"", lua.OpenBase}, {"table", lua.OpenTable}, {"string", lua.OpenString}, {"math", lua.OpenMath}, {"coroutine", lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	real := L.G.Global
	v.real = real
	for _, name := range []string{"dofile", "loadfile", "print", "_printregs", "module", "require", "_GOPHER_LUA_VERSION"} {
		real.RawSetString(name, lua.LNil)
	}
	real.RawSetString("package", lua.LNil)
	real.RawSetString("pcall", L.NewFunction(v.pcall))
	real.RawSetString("tostring", L.NewFunction(luaToString))
	real.RawSetString("error", L.NewFunction(luaErrorFn))
	real.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	real.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	math := real.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(v.mathRandom))
	math.RawSetString("randomseed", L.NewFunction(v.mathRandomSeed))
	protectMetatables(L, real)
	// string.dump gives Lua 5.1's bytecode header only: Redis's Lua loads
	// no binary chunk, so the rest could never be used.
	str := real.RawGetString("string").(*lua.LTable)
	str.RawSetString("dump", L.NewFunction(func(L *lua.LState) int {
		L.CheckFunction(1)
		L.Push(lua.LString("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00"))
		return 1
	}))
	loadstring := real.RawGetString("loadstring").(*lua.LFunction)
	real.RawSetString("loadstring", L.NewFunction(func(L *lua.LState) int {
		// A binary chunk is read as text by Redis's Lua (no undump).
		if src, ok := L.Get(1).(lua.LString); ok && len(src) > 0 && src[0] == 0x1b {
			L.Push(lua.LNil)
			L.Push(lua.LString(chunkID(string(src)) + ":1: unexpected symbol near 'char(27)'"))
			return 2
		}
		top := L.GetTop()
		L.Push(loadstring)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, lua.MultRet)
		return L.GetTop() - top
	}))
	real.RawSetString("cjson", openCJSON(L))
	real.RawSetString("cmsgpack", openCMsgpack(L))
	real.RawSetString("bit", openBit(L))
	real.RawSetString("struct", openStruct(L))
	v.handler = L.NewFunction(v.errorHandler)

	// The function runtime's globals: the same libraries, a redis table
	// without the EVAL-only helpers.
	funcReal := L.CreateTable(0, 32)
	real.ForEach(func(k, val lua.LValue) { funcReal.RawSet(k, val) })
	funcReal.RawSetString("redis", v.redisTable(false))
	real.RawSetString("redis", v.redisTable(true))

	readonly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	})
	nonexistent := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	})
	// Library tables become read-only proxies; so does the string metatable.
	for _, g := range []*lua.LTable{real, funcReal} {
		for _, name := range []string{"string", "math", "table", "coroutine", "redis", "cjson", "cmsgpack", "bit", "struct"} {
			if t, ok := g.RawGetString(name).(*lua.LTable); ok {
				g.RawSetString(name, readonlyProxy(L, t, readonly))
			}
		}
	}
	if smt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		smt.RawSetString("__metatable", readonlyProxy(L, smt, readonly))
		smt.RawSetString("__newindex", readonly)
	}
	v.evalEnv = globalsProxy(L, real, readonly, nonexistent)
	real.RawSetString("_G", v.evalEnv)
	v.funcEnv, v.funcMeta = globalsProxyMeta(L, funcReal, readonly, nonexistent)
	funcReal.RawSetString("_G", v.funcEnv)
	v.funcReal = funcReal

	// What a library body sees while it loads: only redis.register_function,
	// redis.log and the version fields (function_lua.c luaEngineInitEngine).
	api := L.CreateTable(0, 1)
	lr := L.CreateTable(0, 8)
	lr.RawSetString("register_function", L.NewFunction(v.registerFunction))
	v.addLogAndVersion(lr)
	lrm := L.CreateTable(0, 1)
	lrm.RawSetString("__index", nonexistent)
	L.SetMetatable(lr, lrm)
	api.RawSetString("redis", readonlyProxy(L, lr, readonly))
	am := L.CreateTable(0, 2)
	am.RawSetString("__index", nonexistent)
	am.RawSetString("__newindex", readonly)
	L.SetMetatable(api, am)
	v.loadAPI = api

	L.Env = v.evalEnv
	L.G.Global = v.evalEnv
	v.kill = newKillCtx()
	L.SetContext(v.kill)
	return v
}

// readonlyProxy returns an empty table that reads through to t and refuses writes.
func readonlyProxy(L *lua.LState, t *lua.LTable, readonly *lua.LFunction) *lua.LTable {
	p := L.CreateTable(0, 0)
	m := L.CreateTable(0, 3)
	m.RawSetString("__index", t)
	m.RawSetString("__newindex", readonly)
	m.RawSetString("__metatable", lua.LFalse)
	m.RawSetString(roKey, lua.LFalse) // getmetatable answers nil, as for Redis's read-only tables
	L.SetMetatable(p, m)
	return p
}

// roKey marks the metatable of a read-only proxy; its value is what
// getmetatable returns for the proxy (false: nil).
const roKey = "\x00shoal-readonly"

// protectMetatables replaces getmetatable and setmetatable: on a read-only
// proxy (library tables, the globals) they behave as on Redis's read-only
// tables (lua_enablereadonlytable): getmetatable gives nil, or for the
// globals a read-only view of their metatable; setmetatable fails with
// "Attempt to modify a readonly table", raised without a position as
// Redis's C check does. Elsewhere they are Lua's.
func protectMetatables(L *lua.LState, g *lua.LTable) {
	roMeta := func(v lua.LValue) (lua.LValue, bool) {
		if t, ok := v.(*lua.LTable); ok {
			if m, ok := t.Metatable.(*lua.LTable); ok {
				if x := m.RawGetString(roKey); x != lua.LNil {
					return x, true
				}
			}
		}
		return nil, false
	}
	g.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
		obj := L.CheckAny(1)
		if x, ok := roMeta(obj); ok {
			if x == lua.LFalse {
				x = lua.LNil
			}
			L.Push(x)
			return 1
		}
		L.Push(L.GetMetatable(obj))
		return 1
	}))
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		// luaB_setmetatable's checks, in Lua's words.
		obj := L.Get(1)
		if _, ok := obj.(*lua.LTable); !ok {
			got := "no value"
			if L.GetTop() >= 1 {
				got = obj.Type().String()
			}
			argError(L, 1, "setmetatable", "table expected, got "+got)
		}
		if t := L.Get(2).Type(); t != lua.LTNil && t != lua.LTTable {
			argError(L, 2, "setmetatable", "nil or table expected")
		}
		if _, ok := roMeta(obj); ok {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		if t, ok := obj.(*lua.LTable); ok {
			if m, ok := t.Metatable.(*lua.LTable); ok && m.RawGetString("__metatable") != lua.LNil {
				L.RaiseError("cannot change a protected metatable")
			}
		}
		L.SetMetatable(obj, L.Get(2))
		L.SetTop(1)
		return 1
	}))
}

// globalsProxy is the read-only view of a globals table: reads of a
// missing name raise Redis's "nonexistent global variable" error.
func globalsProxy(L *lua.LState, real *lua.LTable, readonly, nonexistent *lua.LFunction) *lua.LTable {
	p, _ := globalsProxyMeta(L, real, readonly, nonexistent)
	return p
}

func globalsProxyMeta(L *lua.LState, real *lua.LTable, readonly, nonexistent *lua.LFunction) (*lua.LTable, *lua.LTable) {
	rm := L.CreateTable(0, 2)
	rm.RawSetString("__index", nonexistent)
	rm.RawSetString("__newindex", readonly)
	L.SetMetatable(real, rm)
	p := L.CreateTable(0, 0)
	m := L.CreateTable(0, 3)
	m.RawSetString("__index", real)
	m.RawSetString("__newindex", readonly)
	m.RawSetString("__metatable", lua.LFalse)
	// getmetatable(_G) is a read-only view of this metatable, as Redis
	// gives its globals' (read-only) metatable.
	m.RawSetString(roKey, readonlyProxy(L, m, readonly))
	L.SetMetatable(p, m)
	return p, m
}

// redisTable builds the redis.* API (luaRegisterRedisAPI, plus the EVAL
// helpers scriptingInit adds when eval is true).
func (v *vm) redisTable(eval bool) *lua.LTable {
	L := v.L
	t := L.CreateTable(0, 32)
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	call := L.NewFunction(func(L *lua.LState) int { return v.redisCall(L, true) })
	t.RawSetString("call", call)
	if eval {
		v.callFn = call
	}
	set("pcall", func(L *lua.LState) int { return v.redisCall(L, false) })
	v.addLogAndVersion(t)
	set("setresp", v.setResp)
	set("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.Error(errorTable(L, "wrong number of arguments", false), 0)
		}
		sum := sha1.Sum([]byte(L.ToString(1)))
		L.Push(lua.LString(hex.EncodeToString(sum[:])))
		return 1
	})
	set("error_reply", func(L *lua.LState) int {
		if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
			L.Push(errorTable(L, "wrong number or type of arguments", false))
			return 1
		}
		s := L.ToString(1)
		if !strings.HasPrefix(s, "-") {
			s = "-" + s
		}
		L.Push(errorTable(L, s, false))
		return 1
	})
	set("status_reply", func(L *lua.LState) int {
		if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
			L.Push(errorTable(L, "wrong number or type of arguments", false))
			return 1
		}
		r := L.CreateTable(0, 1)
		r.RawSetString("ok", L.Get(1))
		L.Push(r)
		return 1
	})
	set("set_repl", v.setRepl)
	set("acl_check_cmd", v.aclCheckCmd)
	for name, val := range map[string]int{"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		t.RawSetString(name, lua.LNumber(val))
	}
	if eval {
		set("breakpoint", v.breakpoint)
		set("debug", v.debugLog)
		set("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	}
	return t
}

func (v *vm) addLogAndVersion(t *lua.LTable) {
	L := v.L
	t.RawSetString("log", L.NewFunction(v.log))
	for name, val := range map[string]int{"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3} {
		t.RawSetString(name, lua.LNumber(val))
	}
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	t.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
}

// argError is luaL_argerror's message: "bad argument #n to 'fname' (msg)".
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// raise raises an {err=...} table built from msg (luaPushError + luaError).
func raise(L *lua.LState, msg string) int {
	L.Error(errorTable(L, msg, false), 0)
	return 0
}

func (v *vm) log(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		return raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); isStr {
			if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
				lv, ok = lua.LNumber(f), true
			}
		}
	}
	if !ok {
		return raise(L, "First argument must be a number (log level).")
	}
	level := int(lv)
	if level < 0 || level > 3 {
		return raise(L, "Invalid debug level.")
	}
	var sb strings.Builder
	for i := 2; i <= n; i++ {
		val := L.Get(i)
		var s string
		switch x := val.(type) {
		case lua.LString:
			s = string(x)
		case lua.LNumber:
			s = formatNumber14(float64(x))
		default:
			continue
		}
		if i != 2 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s)
	}
	if v.e.Log != nil {
		v.e.Log(level, sb.String())
	}
	return 0
}

func (v *vm) setResp(L *lua.LState) int {
	if v.run == nil {
		return raise(L, "redis.setresp can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		return raise(L, "redis.setresp() requires one argument.")
	}
	n := int(L.ToNumber(1))
	if n != 2 && n != 3 {
		return raise(L, "RESP version must be 2 or 3.")
	}
	v.run.proto = n
	return 0
}

func (v *vm) setRepl(L *lua.LState) int {
	if v.run == nil {
		return raise(L, "redis.set_repl can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		return raise(L, "redis.set_repl() requires two arguments.")
	}
	flags := int(L.ToNumber(1))
	if flags&^3 != 0 {
		return raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	v.run.ReplFlags = flags
	return 0
}

func (v *vm) aclCheckCmd(L *lua.LState) int {
	if v.run == nil {
		return raise(L, "redis.acl_check_cmd can only be called inside a script invocation")
	}
	args, msg := v.luaArgs(L)
	if msg != "" {
		return raise(L, msg)
	}
	spec := v.e.lookup(args)
	if spec == nil {
		return raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	ok := true // a host without users (tests, tools) permits everything
	if p, isP := v.run.Host.(ACLPermitter); isP {
		ok = p.ACLPermits(spec, args)
	}
	L.Push(lua.LBool(ok))
	return 1
}

// pcall is Redis's pcall: like Lua's, but an error raised as an {err=...}
// table comes back as its message string (luaRedisPcall).
func (v *vm) pcall(L *lua.LState) int {
	L.CheckAny(1)
	fn := L.Get(1)
	if fn.Type() != lua.LTFunction && L.GetMetaField(fn, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + fn.Type().String() + " value"))
		return 2
	}
	if err := L.PCall(L.GetTop()-1, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		obj := lua.LValue(lua.LString(err.Error()))
		if aerr, ok := err.(*lua.ApiError); ok {
			obj = aerr.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// errorHandler is __redis__err__handler: it turns any error into an
// {err=...} table and adds where the script was when it failed.
func (v *vm) errorHandler(L *lua.LState) int {
	e := L.Get(1)
	t, ok := e.(*lua.LTable)
	if v.run != nil && v.run.killed.Load() {
		t, ok = errorTable(L, "Script killed by user with SCRIPT KILL...", false), true
	}
	if !ok {
		t = L.CreateTable(0, 3)
		msg := luaToStringValue(e)
		if _, isStr := e.(lua.LString); isStr {
			msg = lua51Wording(msg, L)
		}
		t.RawSetString("err", lua.LString("ERR "+msg))
	}
	for lv := 0; ; lv++ {
		dbg, ok := L.GetStack(lv)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// luaArgs converts redis.call's arguments (luaArgsToRedisArgv): numbers
// print as %.17g, strings as they are, anything else is an error.
func (v *vm) luaArgs(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	args := v.args[:0]
	for i := 1; i <= n; i++ {
		switch x := L.Get(i).(type) {
		case lua.LString:
			// A view, not a copy: handlers treat arguments as read-only
			// and copy what they keep, as they do with the read buffer.
			args = append(args, unsafe.Slice(unsafe.StringData(string(x)), len(x)))
		case lua.LNumber:
			args = append(args, strconv.AppendFloat(nil, float64(x), 'g', 17, 64))
		default:
			v.args = args[:0]
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
	}
	v.args = args
	return args, ""
}

// redisCall is redis.call (raise) and redis.pcall (luaRedisGenericCommand).
func (v *vm) redisCall(L *lua.LState, raiseErr bool) int {
	run := v.run
	if run == nil {
		return raise(L, "redis.call/pcall can only be called inside a script invocation")
	}
	args, msg := v.luaArgs(L)
	if msg != "" {
		if raiseErr {
			return raise(L, msg)
		}
		L.Push(errorTable(L, msg, false))
		return 1
	}
	L.SetTop(0)
	v.w.Reset()
	v.w.Proto = run.proto
	d := run.Debug
	if d.logging() {
		d.logCommand(args)
	}
	if refused := v.e.call(run, args, &v.w); refused != "" {
		if d.logging() {
			d.log("<error> " + refused)
		}
		et := errorTable(L, refused, true)
		if raiseErr {
			L.Error(et, 0)
		}
		L.Push(et)
		return 1
	}
	val, _ := respToLua(L, v.w.Buf)
	if d.logging() {
		if len(v.w.Buf) > 0 && v.w.Buf[0] == '-' {
			d.log("<error> " + string(bytes.TrimRight(v.w.Buf, "\r\n")))
		}
		d.logReply(v.w.Buf)
	}
	if raiseErr && len(v.w.Buf) > 0 && v.w.Buf[0] == '-' {
		L.Error(val, 0)
	}
	L.Push(val)
	return 1
}

// breakpoint is redis.breakpoint(): in a debugging session the script
// stops at the next line, and it returns true; else false.
func (v *vm) breakpoint(L *lua.LState) int {
	if v.run == nil || v.run.Debug == nil {
		L.Push(lua.LFalse)
		return 1
	}
	v.run.Debug.luabp = true
	L.Push(lua.LTrue)
	return 1
}

// debugLog is redis.debug(...): in a debugging session a "<debug>" line
// with the arguments; else nothing.
func (v *vm) debugLog(L *lua.LState) int {
	if v.run == nil || v.run.Debug == nil {
		return 0
	}
	d := v.run.Debug
	var sb strings.Builder
	fmt.Fprintf(&sb, "<debug> line %d: ", d.line)
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			sb.WriteString(", ")
		}
		catValue(&sb, L.Get(i), 0)
	}
	d.log(sb.String())
	return 0
}

// mathRandom is Redis's math.random over its own lrand48 (redis_math_random).
func (v *vm) mathRandom(L *lua.LState) int {
	if v.run == nil {
		L.RaiseError("math.random can only be called inside a script invocation")
	}
	r := float64(v.e.rand.next()%lrand48Max) / float64(lrand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (v *vm) mathRandomSeed(L *lua.LState) int {
	if v.run == nil {
		L.RaiseError("math.randomseed can only be called inside a script invocation")
	}
	// luaL_checkint: a number or a numeric string, truncated.
	var n float64
	switch x := L.Get(1).(type) {
	case lua.LNumber:
		n = float64(x)
	case lua.LString:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
		if err != nil {
			argError(L, 1, "randomseed", "number expected, got string")
		}
		n = f
	default:
		got := "no value"
		if L.GetTop() >= 1 {
			got = x.Type().String()
		}
		argError(L, 1, "randomseed", "number expected, got "+got)
	}
	v.e.rand.seed(int32(int64(n)))
	return 0
}

// luaErrorFn is Lua 5.1's error: a string or number message gets the
// position of the given level (1 by default); error() raises nil.
func luaErrorFn(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	if n, ok := obj.(lua.LNumber); ok {
		obj = lua.LString(formatNumber14(float64(n)))
	}
	L.Error(obj, level)
	return 0
}

// luaToString is Lua 5.1's tostring: numbers print with "%.14g".
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(formatNumber14(float64(n))))
		return 1
	}
	if fn := L.GetMetaField(v, "__tostring"); fn != lua.LNil {
		L.Push(fn)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	L.Push(lua.LString(v.String()))
	return 1
}

func luaToStringValue(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return formatNumber14(float64(n))
	}
	return v.String()
}

// nonFinite is how C's printf writes an infinity or a NaN.
func nonFinite(f float64) (string, bool) {
	switch {
	case math.IsInf(f, 1):
		return "inf", true
	case math.IsInf(f, -1):
		return "-inf", true
	case f != f:
		return "nan", true
	}
	return "", false
}

// formatNumber14 is LUA_NUMBER_FMT, "%.14g".
func formatNumber14(f float64) string {
	if s, ok := nonFinite(f); ok {
		return s
	}
	if f == 0 && math.Signbit(f) {
		return "-0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// chunkID is luaO_chunkid for a string source: [string "first line"],
// cut at a newline or NUL, or after 42 bytes, with "..." when cut.
func chunkID(src string) string {
	n := len(src)
	for i := 0; i < len(src); i++ {
		if c := src[i]; c == '\n' || c == '\r' || c == 0 {
			n = i
			break
		}
	}
	cut := n < len(src) && src[n] != 0
	if n > 42 {
		n, cut = 42, true
	}
	if cut {
		return `[string "` + src[:n] + `..."]`
	}
	return `[string "` + src[:n] + `"]`
}
