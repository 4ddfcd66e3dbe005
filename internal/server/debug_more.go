package server

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// More DEBUG subcommands Redis's tests and tools use: PROTOCOL (one reply
// of each RESP type), STRINGMATCH-TEST (fuzz the glob matcher) and PANIC
// (a crash report in the log, then an abort).

// debugProtocol is DEBUG PROTOCOL <type>, replying as Redis does.
func debugProtocol(ctx *command.Ctx, name string) {
	w := ctx.W
	switch strings.ToLower(name) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		const n = "1234567999999999999999999999999999999"
		if w.Proto >= 3 {
			w.Raw([]byte("(" + n + "\r\n"))
		} else {
			w.BulkString(n)
		}
	case "null":
		w.Null()
	case "array", "set":
		if name == "set" {
			w.Set(3)
		} else {
			w.Array(3)
		}
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "map":
		w.Map(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Proto >= 3 {
			w.Raw([]byte("|1\r\n"))
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			ctx.Error(rediserr.DebugResp2)
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("This is a verbatim\nstring")
	default:
		ctx.Error(rediserr.DebugProtocolType)
	}
}

// debugStringmatchTest is DEBUG STRINGMATCH-TEST: the glob matcher run on
// ten million random patterns and strings (it must neither crash nor hang).
func debugStringmatchTest(ctx *command.Ctx) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var str, pat [32]byte
	for i := 0; i < 10_000_000; i++ {
		sl, pl := rng.Intn(len(str)), rng.Intn(len(pat))
		for j := 0; j < sl; j++ {
			str[j] = byte(rng.Intn(128))
		}
		for j := 0; j < pl; j++ {
			pat[j] = byte(rng.Intn(128))
		}
		glob.Match(pat[:pl], str[:sl], false)
	}
	ctx.W.Simple("Apparently Redis did not crash: test passed")
}

// debugPanic is DEBUG PANIC: Redis's serverPanic. The crash report (the
// reason, every goroutine's stack) goes to the log, then the process
// aborts (SIGABRT), as Redis does.
func (s *Server) debugPanic() {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	s.Logf('#', "------------------------------------------------")
	s.Logf('#', "!!! Software Failure. Press left mouse button to continue")
	s.Logf('#', "Guru Meditation: DEBUG PANIC called at Unix time %d #debug_more.go", time.Now().Unix())
	s.Logf('#', "\n\n=== SHOAL BUG REPORT START: Cut & paste starting from here ===\n------ STACK TRACE ------\n%s\n=== SHOAL BUG REPORT END. Make sure to include from START to END. ===", buf)
	fmt.Fprintln(os.Stderr, "DEBUG PANIC: aborting")
	dieBySignal(syscall.SIGABRT)
}
