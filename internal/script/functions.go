package script

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/internal/resp"
)

// Library is one FUNCTION library: its code (shebang included, as
// FUNCTION LIST WITHCODE and the RDB functions section keep it) and the
// functions its body registered.
type Library struct {
	Name   string
	Engine string
	Code   []byte
	Funcs  map[string]*Function
	proto  *lua.FunctionProto
}

// Function is one function registered by redis.register_function.
type Function struct {
	Name string
	// Desc is the description; HasDesc false means none was given (nil in FUNCTION LIST).
	Desc    string
	HasDesc bool
	Flags   Flags
	Lib     *Library
}

// Functions is the set of libraries (functionsLibCtx).
type Functions struct {
	e       *Engine
	mu      sync.RWMutex
	libs    map[string]*Library
	funcs   map[string]*Function
	version atomic.Uint64
}

func newFunctions(e *Engine) *Functions {
	return &Functions{e: e, libs: make(map[string]*Library), funcs: make(map[string]*Function)}
}

// loadCtx is what redis.register_function fills while a library body runs.
type loadCtx struct {
	lib   *Library
	binds map[string]*lua.LFunction
}

// validName is functionsVerifyName.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const badNameMsg = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// parseLibraryMeta is functionExtractLibMetaData: "#!<engine> name=<lib>".
func parseLibraryMeta(code []byte) (engine, name string, body []byte, msg string) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", "", nil, "Missing library metadata"
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", "", nil, "Invalid library metadata"
	}
	parts, _, err := resp.SplitArgs(code[:end], nil, nil)
	if err != nil || len(parts) == 0 {
		return "", "", nil, "Invalid library metadata"
	}
	engine = string(parts[0][2:])
	haveName := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(string(p[:5]), "name=") {
			if haveName {
				return "", "", nil, "Invalid metadata value, name argument was given multiple times"
			}
			name, haveName = string(p[5:]), true
			continue
		}
		return "", "", nil, "Invalid metadata value given: " + string(p)
	}
	if !haveName {
		return "", "", nil, "Library name was not given"
	}
	return engine, name, code[end:], ""
}

// Load is FUNCTION LOAD: it returns the library name, or the error text
// (without "ERR ").
func (f *Functions) Load(code []byte, replace bool) (string, string) {
	lib, msg := f.compileLibrary(code)
	if msg != "" {
		return "", msg
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.libs[lib.Name]
	if old != nil && !replace {
		return "", "Library '" + lib.Name + "' already exists"
	}
	for name := range lib.Funcs {
		if other := f.funcs[funcKey(name)]; other != nil && other.Lib != old {
			return "", "Function " + name + " already exists"
		}
	}
	f.linkLocked(lib, old)
	return lib.Name, ""
}

func (f *Functions) linkLocked(lib, old *Library) {
	if old != nil {
		for name := range old.Funcs {
			delete(f.funcs, funcKey(name))
		}
		delete(f.libs, old.Name)
	}
	f.libs[lib.Name] = lib
	for name, fn := range lib.Funcs {
		f.funcs[funcKey(name)] = fn
	}
	f.version.Add(1)
}

// compileLibrary checks the metadata, compiles the body and runs it once
// to learn the functions it registers.
func (f *Functions) compileLibrary(code []byte) (*Library, string) {
	engine, name, body, msg := parseLibraryMeta(code)
	if msg != "" {
		return nil, msg
	}
	if !validName(name) {
		return nil, badNameMsg
	}
	if !strings.EqualFold(engine, "lua") {
		return nil, "Engine '" + engine + "' not found"
	}
	proto, err := compile(body, funcChunk)
	if err != nil {
		return nil, "Error compiling function: " + err.Error()
	}
	lib := &Library{Name: name, Engine: "LUA", Code: bytes.Clone(code), Funcs: make(map[string]*Function), proto: proto}
	v := f.e.getVM()
	defer f.e.putVM(v)
	if msg := v.loadLibrary(lib, nil); msg != "" {
		return nil, msg
	}
	if len(lib.Funcs) == 0 {
		return nil, "No functions registered"
	}
	return lib, ""
}

// loadTimeout is how long FUNCTION LOAD lets a library body run.
const loadTimeout = 500 * time.Millisecond

// loadLibrary runs a library's body in v with the load-time API. With
// binds nil it records the functions into lib; else it binds this vm's
// callbacks by name.
func (v *vm) loadLibrary(lib *Library, binds map[string]*lua.LFunction) string {
	L := v.L
	fn := L.NewFunctionFromProto(lib.proto)
	fn.Env = v.funcEnv
	v.funcMeta.RawSetString("__index", v.loadAPI)
	v.load = &loadCtx{lib: lib, binds: binds}
	// FUNCTION LOAD gives a library body 500 ms (LOAD_TIMEOUT_MS); a vm
	// binding an already loaded library runs it without a limit.
	var timeout context.Context
	if binds == nil {
		var cancel context.CancelFunc
		timeout, cancel = context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		L.SetContext(timeout)
	}
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	if timeout != nil {
		L.SetContext(v.kill)
	}
	v.load = nil
	v.funcMeta.RawSetString("__index", v.funcReal)
	L.SetTop(0)
	if err != nil && timeout != nil && timeout.Err() != nil {
		return "Error registering functions: ERR FUNCTION LOAD timeout"
	}
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if aerr, ok := err.(*lua.ApiError); ok && aerr.Object != nil {
			obj = aerr.Object
		}
		msg := ""
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				msg = string(s)
			}
		} else {
			msg = "ERR " + luaToStringValue(obj)
		}
		return "Error registering functions: " + msg
	}
	return ""
}

// registerFunction is redis.register_function (luaRegisterFunction).
func (v *vm) registerFunction(L *lua.LState) int {
	ld := v.load
	if ld == nil {
		return raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var (
		name, desc string
		hasDesc    bool
		cb         *lua.LFunction
		flags      Flags
	)
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var msg string
		haveName := false
		eachPair(t, func(k, val lua.LValue) {
			if msg != "" {
				return
			}
			ks, ok := luaStringish(k)
			if !ok {
				msg = "named argument key given to redis.register_function is not a string"
				return
			}
			switch strings.ToLower(ks) {
			case "function_name":
				s, ok := luaStringish(val)
				if !ok {
					msg = "function_name argument given to redis.register_function must be a string"
					return
				}
				name, haveName = s, true
			case "description":
				s, ok := luaStringish(val)
				if !ok {
					msg = "description argument given to redis.register_function must be a string"
					return
				}
				desc, hasDesc = s, true
			case "callback":
				f, ok := val.(*lua.LFunction)
				if !ok {
					msg = "callback argument given to redis.register_function must be a function"
					return
				}
				cb = f
			case "flags":
				ft, ok := val.(*lua.LTable)
				if !ok {
					msg = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for i := 1; ; i++ {
					fv := ft.RawGetInt(i)
					if fv == lua.LNil {
						break
					}
					s, ok := luaStringish(fv)
					fl, found := parseFlagName(strings.ToLower(s))
					if !ok || !found {
						msg = "unknown flag given"
						return
					}
					flags |= fl
				}
			default:
				msg = "unknown argument given to redis.register_function"
			}
		})
		if msg != "" {
			return raise(L, msg)
		}
		if !haveName {
			return raise(L, "redis.register_function must get a function name argument")
		}
		if cb == nil {
			return raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := luaStringish(L.Get(1))
		if !ok {
			return raise(L, "first argument to redis.register_function must be a string")
		}
		f, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return raise(L, "second argument to redis.register_function must be a function")
		}
		name, cb = s, f
	default:
		return raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(name) {
		return raise(L, badNameMsg)
	}
	if ld.binds != nil {
		ld.binds[name] = cb
		return 0
	}
	if ld.lib.Funcs[name] != nil {
		return raise(L, "Function already exists in the library")
	}
	ld.lib.Funcs[name] = &Function{Name: name, Desc: desc, HasDesc: hasDesc, Flags: flags, Lib: ld.lib}
	return 0
}

// luaStringish is lua_isstring + lua_tostring: strings and numbers.
func luaStringish(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return formatNumber14(float64(x)), true
	}
	return "", false
}

// Get finds a function by name.
func (f *Functions) Get(name []byte) *Function {
	f.mu.RLock()
	fn := f.funcs[funcKey(string(name))]
	f.mu.RUnlock()
	return fn
}

// funcKey is a function's key in the functions dict: Redis compares
// function names without case (functionDictType), library names with it.
func funcKey(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// Delete is FUNCTION DELETE.
func (f *Functions) Delete(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	lib := f.libs[name]
	if lib == nil {
		return false
	}
	for fn := range lib.Funcs {
		delete(f.funcs, funcKey(fn))
	}
	delete(f.libs, name)
	f.version.Add(1)
	return true
}

// Flush is FUNCTION FLUSH.
func (f *Functions) Flush() {
	f.mu.Lock()
	f.libs = make(map[string]*Library)
	f.funcs = make(map[string]*Function)
	f.version.Add(1)
	f.mu.Unlock()
}

// Libraries returns the libraries sorted by name. The RDB functions
// section and FUNCTION DUMP save each one's Code.
func (f *Functions) Libraries() []*Library {
	f.mu.RLock()
	out := make([]*Library, 0, len(f.libs))
	for _, l := range f.libs {
		out = append(out, l)
	}
	f.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Counts returns the number of libraries and functions (FUNCTION STATS).
func (f *Functions) Counts() (libs, funcs int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.libs), len(f.funcs)
}

// Restore replaces or extends the libraries with libs compiled from codes
// (FUNCTION RESTORE, and loading the RDB functions section). policy is
// "FLUSH", "APPEND" or "REPLACE". It returns the error text or "".
func (f *Functions) Restore(codes [][]byte, policy string) string {
	libs := make([]*Library, 0, len(codes))
	seen := make(map[string]bool)
	for _, c := range codes {
		lib, msg := f.compileLibrary(c)
		if msg != "" {
			return msg
		}
		if seen[lib.Name] {
			return "Library " + lib.Name + " already exists"
		}
		seen[lib.Name] = true
		libs = append(libs, lib)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if policy == "FLUSH" {
		f.libs = make(map[string]*Library)
		f.funcs = make(map[string]*Function)
	}
	replaced := make(map[string]*Library)
	for _, lib := range libs {
		if old := f.libs[lib.Name]; old != nil {
			if policy != "REPLACE" {
				return "Library " + lib.Name + " already exists"
			}
			replaced[lib.Name] = old
		}
	}
	for _, lib := range libs {
		for name := range lib.Funcs {
			if other := f.funcs[funcKey(name)]; other != nil && other.Lib != replaced[other.Lib.Name] {
				return "Function " + name + " already exists"
			}
		}
	}
	for _, lib := range libs {
		f.linkLocked(lib, replaced[lib.Name])
	}
	return ""
}

// RunFunction runs fn (FCALL) and writes its reply to w; it returns true,
// having written nothing, when the host asked for a restart.
func (e *Engine) RunFunction(run *Run, fn *Function, keys, args [][]byte, w *resp.Writer) bool {
	v := e.getVM()
	defer e.putVM(v)
	f := e.Functions
	if ver := f.version.Load(); ver != v.libVersion {
		clear(v.funcs)
		clear(v.funcLibs)
		v.libVersion = ver
	}
	cb := v.funcs[fn.Name]
	if cb == nil || v.funcLibs[fn.Name] != fn.Lib {
		binds := make(map[string]*lua.LFunction)
		if msg := v.loadLibrary(fn.Lib, binds); msg != "" {
			w.Error("ERR " + msg)
			return false
		}
		for name, b := range binds {
			v.funcs[name] = b
			v.funcLibs[name] = fn.Lib
		}
		cb = v.funcs[fn.Name]
	}
	run.Eval = false
	return v.exec(run, cb, true, keys, args, w)
}
