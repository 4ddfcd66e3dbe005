package command

import (
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/stream"
)

// testEnv runs handlers in-process against a fresh keyspace, locking as the
// server does, and returns raw RESP replies.
type testEnv struct {
	t     testing.TB
	table *Table
	ks    *keyspace.Keyspace
	db    int
	proto int
	now   int64
	// settings is what handlers see as Ctx.Settings; tests lower its
	// thresholds as CONFIG SET would.
	settings *Settings
	// effects, when set, collects what commands propagate.
	effects *stream.Batch
}

func newTestEnv(t testing.TB) *testEnv {
	e := &testEnv{t: t, table: NewTable(), ks: keyspace.New(16), proto: 2, now: 1_700_000_000_000, settings: DefaultSettings()}
	e.ks.NowMs = func() int64 { return e.now }
	Register(e.table)
	return e
}

// do runs one command and returns its raw reply.
func (e *testEnv) do(args ...string) string {
	e.t.Helper()
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	spec := e.table.Lookup(bargs[0])
	if spec == nil || !spec.Implemented() {
		e.t.Fatalf("command %q not implemented", args[0])
	}
	if spec.Subs != nil && len(bargs) > 1 {
		spec = spec.LookupSub(bargs)
		if spec == nil {
			e.t.Fatalf("no subcommand %q", args)
		}
	}
	w := &resp.Writer{Proto: e.proto}
	if !spec.CheckArity(len(bargs)) {
		return "-ERR wrong number of arguments for '" + spec.Name + "' command\r\n"
	}
	ctx := &Ctx{Args: bargs, W: w, DB: e.ks.DB(e.db), KS: e.ks, Cmd: spec, Settings: e.settings, Effects: e.effects}
	if spec.LockAll {
		e.ks.LockAll()
		defer e.ks.UnlockAll()
	} else {
		var slots []int
		for _, i := range spec.KeyPositions(bargs, nil) {
			slots = append(slots, slot.Of(bargs[i]))
		}
		locks := e.ks.LockSlots(slots, nil)
		defer e.ks.UnlockStripes(locks)
	}
	spec.Handler(ctx)
	return string(w.Buf)
}

// expect runs a command and fails the test unless the reply is want.
func (e *testEnv) expect(want string, args ...string) {
	e.t.Helper()
	if got := e.do(args...); got != want {
		e.t.Errorf("%q: got %q, want %q", args, got, want)
	}
}

func TestBasicGetSetDel(t *testing.T) {
	e := newTestEnv(t)
	e.expect("$-1\r\n", "get", "k")
	e.expect("+OK\r\n", "set", "k", "v")
	e.expect("$1\r\nv\r\n", "GET", "k")
	e.expect(":1\r\n", "del", "k", "x")
	e.expect("$-1\r\n", "get", "k")
}
