package server

import (
	"sort"
	"strings"

	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/script"
	"github.com/shoal-db/shoal/internal/stream"
)

// FUNCTION and its subcommands: Redis 7.0's function libraries
// (docs/scripting.md); the libraries live in script.Functions.
func (s *Server) registerFunctionCmd() {
	f := s.scripts.Functions
	s.handle("function|load", func(ctx *command.Ctx) {
		args := ctx.Args
		replace := false
		i := 2
		for ; i < len(args)-1; i++ {
			if !strings.EqualFold(string(args[i]), "replace") {
				ctx.Error(rediserr.FunctionLoadOption(string(args[i])))
				return
			}
			replace = true
		}
		if i >= len(args) {
			ctx.Error(rediserr.FunctionCodeMissing)
			return
		}
		name, msg := f.Load(args[i], replace)
		if msg != "" {
			ctx.Error("ERR " + msg)
			return
		}
		s.scriptLock.wide.Clear()
		ctx.Dirty++
		ctx.W.BulkString(name)
	})
	s.handle("function|delete", func(ctx *command.Ctx) {
		if !f.Delete(string(ctx.Args[2])) {
			ctx.Error(rediserr.LibraryNotFound)
			return
		}
		ctx.Dirty++
		ctx.W.OK()
	})
	s.handle("function|flush", func(ctx *command.Ctx) {
		args := ctx.Args
		if len(args) > 3 {
			ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "FUNCTION"))
			return
		}
		if len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async") {
			ctx.Error(rediserr.FunctionFlushOption)
			return
		}
		f.Flush()
		ctx.Dirty++
		ctx.W.OK()
	})
	s.handle("function|kill", func(ctx *command.Ctx) { s.killScript(ctx, false) })
	s.handle("function|stats", func(ctx *command.Ctx) {
		r, running := s.scripts.Running(0, true)
		if running && r.Eval {
			ctx.Error(rediserr.BusyScript)
			return
		}
		w := ctx.W
		w.Map(2)
		w.BulkString("running_script")
		if !running {
			w.Null()
		} else {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(r.Name)
			w.BulkString("command")
			w.Array(len(r.Args))
			for _, a := range r.Args {
				w.Bulk(a)
			}
			w.BulkString("duration_ms")
			w.Int(r.Elapsed(clock.Mono()).Milliseconds())
		}
		libs, funcs := f.Counts()
		w.BulkString("engines")
		w.Map(1)
		w.BulkString("LUA")
		w.Map(2)
		w.BulkString("libraries_count")
		w.Int(int64(libs))
		w.BulkString("functions_count")
		w.Int(int64(funcs))
	})
	s.handle("function|list", func(ctx *command.Ctx) { functionList(ctx, f) })
	s.handle("function|dump", func(ctx *command.Ctx) {
		ctx.W.Bulk(rdb.AppendFunctionsDump(nil, s.functionCodes(), ctx.RDBSettings()))
	})
	s.handle("function|restore", func(ctx *command.Ctx) {
		args := ctx.Args
		if len(args) > 4 {
			ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "FUNCTION"))
			return
		}
		policy := "APPEND"
		if len(args) == 4 {
			policy = strings.ToUpper(string(args[3]))
			if policy != "FLUSH" && policy != "APPEND" && policy != "REPLACE" {
				ctx.Error(rediserr.RestorePolicy)
				return
			}
		}
		codes, err := rdb.ParseFunctionsDump(args[2])
		if err != nil {
			ctx.Error("ERR " + strings.TrimPrefix(err.Error(), "rdb: "))
			return
		}
		if msg := f.Restore(codes, policy); msg != "" {
			ctx.Error("ERR " + msg)
			return
		}
		s.scriptLock.wide.Clear()
		ctx.Dirty++
		ctx.W.OK()
	})
	s.handle("function|help", func(ctx *command.Ctx) { writeHelp(ctx.W, "FUNCTION", functionHelp) })
}

// functionCodes is every library's code, for the RDB functions section.
func (s *Server) functionCodes() [][]byte {
	libs := s.scripts.Functions.Libraries()
	codes := make([][]byte, len(libs))
	for i, l := range libs {
		codes[i] = l.Code
	}
	return codes
}

// loadFunctions installs the libraries of an RDB file being loaded
// (rdbFunctionLoad); allowDup replaces any of the same name, else one
// that exists fails the load.
func (s *Server) loadFunctions(codes [][]byte, allowDup bool) error {
	if len(codes) == 0 {
		return nil
	}
	// A library that exists already fails the load unless duplicates are
	// allowed (rdbFunctionLoad without RDBFLAGS_ALLOW_DUP: DEBUG RELOAD
	// NOFLUSH without MERGE).
	policy := "APPEND"
	if allowDup {
		policy = "REPLACE"
	}
	if msg := s.scripts.Functions.Restore(codes, policy); msg != "" {
		s.Logf('#', "Failed loading library, %s", msg)
		return errLoadFatal
	}
	s.scriptLock.wide.Clear()
	return nil
}

// appendFunctionLoads appends one FUNCTION LOAD per library, as an AOF
// rewrite starts (aof.c rewriteFunctions).
func (s *Server) appendFunctionLoads(out []byte) []byte {
	for _, l := range s.scripts.Functions.Libraries() {
		out = stream.AppendCommand(out, [][]byte{[]byte("FUNCTION"), []byte("LOAD"), l.Code})
	}
	return out
}

func functionList(ctx *command.Ctx, f *script.Functions) {
	args := ctx.Args
	withCode := false
	var pattern []byte
	havePattern := false
	for i := 2; i < len(args); i++ {
		a := string(args[i])
		if !withCode && strings.EqualFold(a, "withcode") {
			withCode = true
			continue
		}
		if !havePattern && strings.EqualFold(a, "libraryname") {
			if i >= len(args)-1 {
				ctx.Error(rediserr.LibraryNameMissing)
				return
			}
			i++
			pattern, havePattern = args[i], true
			continue
		}
		ctx.Error(rediserr.FunctionListArg(a))
		return
	}
	var libs []*script.Library
	for _, l := range f.Libraries() {
		if havePattern && !glob.Match(pattern, []byte(l.Name), true) {
			continue
		}
		libs = append(libs, l)
	}
	w := ctx.W
	w.Array(len(libs))
	for _, l := range libs {
		if withCode {
			w.Map(4)
		} else {
			w.Map(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString(l.Engine)
		w.BulkString("functions")
		names := make([]string, 0, len(l.Funcs))
		for n := range l.Funcs {
			names = append(names, n)
		}
		sort.Strings(names)
		w.Array(len(names))
		for _, n := range names {
			fn := l.Funcs[n]
			w.Map(3)
			w.BulkString("name")
			w.BulkString(fn.Name)
			w.BulkString("description")
			if fn.HasDesc {
				w.BulkString(fn.Desc)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			fl := fn.Flags.Names()
			w.Set(len(fl))
			for _, name := range fl {
				w.Simple(name)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.Bulk(l.Code)
		}
	}
}

var functionHelp = []string{
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
}
