package stream

import (
	"strconv"
	"strings"
	"testing"
)

func localBatch(db int, argv ...string) *Batch {
	var b Batch
	b.AddStrings(db, argv...)
	return &b
}

// Local entries reach only the readers that include them, at the place
// they were appended, with SELECTs from and back to the stream's database,
// and take no offset.
func TestLocalEntries(t *testing.T) {
	s := New(100)
	s.SetBacklog(1 << 20)
	if at := s.AppendLocal(localBatch(0, "SET", "x", "1")); at != -1 {
		t.Fatalf("kept a local entry with no local reader (at %d)", at)
	}
	aof := s.NewReaderAtEnd(true)
	aof.IncludeLocal()
	repl, _ := s.NewReader(100, true)
	s.AppendRaw(0, []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"))
	off := s.Offset()
	if at := s.AppendLocal(localBatch(3, "SET", "mine", "1")); at != off {
		t.Fatalf("local entry at %d, want the end %d", at, off)
	}
	if s.Offset() != off {
		t.Fatalf("a local entry moved the offset to %d", s.Offset())
	}
	s.AppendRaw(SameDB, []byte("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"))
	got := strings.Join(commands(t, readAll(t, aof)), "|")
	want := "SELECT 0|SET a 1|SELECT 3|SET mine 1|SELECT 0|SET b 2"
	if got != want {
		t.Fatalf("AOF reader: %s\nwant %s", got, want)
	}
	if got := strings.Join(commands(t, readAll(t, repl)), "|"); got != "SELECT 0|SET a 1|SET b 2" {
		t.Fatalf("replica reader: %s", got)
	}
	if aof.Offset() != s.Offset() || aof.LocalDelivered() != aof.LocalAppended() {
		t.Fatalf("AOF reader at %d (stream %d), local %d of %d", aof.Offset(), s.Offset(), aof.LocalDelivered(), aof.LocalAppended())
	}
}

// While the master's MULTI is open, a local entry goes before it and the
// local reader stops there until the transaction ends.
func TestLocalEntryBeforeOpenMulti(t *testing.T) {
	s := New(0)
	aof := s.NewReaderAtEnd(true)
	aof.IncludeLocal()
	s.AppendRaw(SameDB, []byte("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"))
	s.HoldLocal()
	s.AppendRaw(SameDB, []byte("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"))
	if got := strings.Join(commands(t, readAll(t, aof)), "|"); got != "SET a 1" {
		t.Fatalf("read past an open MULTI: %s", got)
	}
	select {
	case <-aof.Wait():
		t.Fatal("Wait fires while the reader is held")
	default:
	}
	s.AppendLocal(localBatch(1, "INCR", "n"))
	s.AppendRaw(SameDB, []byte("*1\r\n$4\r\nEXEC\r\n"))
	s.ReleaseLocal()
	<-aof.Wait()
	got := strings.Join(commands(t, readAll(t, aof)), "|")
	if want := "SELECT 1|INCR n|SELECT 0|MULTI|SET b 2|EXEC"; got != want {
		t.Fatalf("after the hold: %s\nwant %s", got, want)
	}
	// Closing the last local reader drops what it did not read.
	s.AppendLocal(localBatch(0, "SET", "y", "1"))
	aof.Close()
	if s.KeepsLocal() || len(s.locals) != 0 {
		t.Fatal("local entries kept with no local reader")
	}
}

// A batch split by redis.set_repl: the replicas get their part (and the
// MULTI … EXEC every part gets when the batch holds more than one
// command), the AOF its own part in place of those bytes, and the offset
// counts only what replicas receive.
func TestSplitBatch(t *testing.T) {
	args := func(a ...string) [][]byte {
		out := make([][]byte, len(a))
		for i, x := range a {
			out[i] = []byte(x)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		fill      func(b *Batch)
		aof, repl string
	}{
		{"script", func(b *Batch) {
			b.AddTo(0, ToAll, args("SET", "a", "1")...)
			b.AddTo(0, 0, args("SET", "b", "2")...)
			b.AddTo(0, ToAOF, args("SET", "c", "3")...)
			b.AddTo(0, ToAll, args("SET", "d", "4")...)
		}, "MULTI|SET a 1|SET c 3|SET d 4|EXEC", "MULTI|SET a 1|SET d 4|EXEC"},
		{"aof only", func(b *Batch) {
			b.AddTo(0, ToAOF, args("SET", "c", "3")...)
		}, "SET c 3", ""},
		{"replicas only", func(b *Batch) {
			b.AddTo(0, ToReplicas, args("SET", "r", "1")...)
		}, "", "SET r 1"},
		{"replicas only in another db", func(b *Batch) {
			b.AddTo(2, ToReplicas, args("SET", "r", "1")...)
		}, "SELECT 2", "SELECT 2|SET r 1"},
		{"two aof only", func(b *Batch) {
			b.AddTo(0, ToAOF, args("SET", "c", "3")...)
			b.AddTo(1, ToAOF, args("SET", "e", "5")...)
		}, "MULTI|SET c 3|SELECT 1|SET e 5|EXEC", "MULTI|SELECT 1|EXEC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(0)
			aof := s.NewReaderAtEnd(true)
			aof.IncludeLocal()
			repl, _ := s.NewReader(0, true)
			s.Append(0, args("SET", "x", "0")...)
			var b Batch
			tc.fill(&b)
			s.AppendBatch(&b)
			b.Reset()
			b.Add(0, args("SET", "y", "9")...)
			s.AppendBatch(&b)
			join := func(r *Reader) string {
				return strings.Join(commands(t, readAll(t, r)), "|")
			}
			wrap := func(mid string) string {
				if mid != "" {
					mid += "|"
				}
				return "SELECT 0|SET x 0|" + mid
			}
			// Whatever the unit's databases, the next entry lands in db 0.
			tail := func(mid string) string {
				if strings.Contains(mid, "SELECT") {
					return "SELECT 0|SET y 9"
				}
				return "SET y 9"
			}
			if got, want := join(aof), wrap(tc.aof)+tail(tc.repl); got != want {
				t.Errorf("AOF reader: %s\nwant %s", got, want)
			}
			if got, want := join(repl), wrap(tc.repl)+tail(tc.repl); got != want {
				t.Errorf("replica reader: %s\nwant %s", got, want)
			}
			if got, want := s.Offset(), int64(len(encodeList(wrap(tc.repl)+tail(tc.repl)))); got != want {
				t.Errorf("offset %d, want %d: the replicas' bytes alone", got, want)
			}
			if aof.Offset() != s.Offset() {
				t.Errorf("AOF reader at %d, stream at %d", aof.Offset(), s.Offset())
			}
		})
	}
}

// encodeList encodes "CMD a b|CMD c" as RESP commands.
func encodeList(list string) string {
	if list == "" {
		return ""
	}
	var out []byte
	for _, c := range strings.Split(list, "|") {
		f := strings.Fields(c)
		argv := make([][]byte, len(f))
		for i, x := range f {
			argv[i] = []byte(x)
		}
		out = AppendCommand(out, argv)
	}
	return string(out)
}

// replayDBs replays the commands of b as a loader would and returns the
// database each SET or INCR key ended up written in.
func replayDBs(t *testing.T, b []byte) map[string]int {
	t.Helper()
	dbs := map[string]int{}
	db := 0
	for _, c := range commands(t, b) {
		f := strings.Fields(c)
		switch f[0] {
		case "SELECT":
			db, _ = strconv.Atoi(f[1])
		case "SET", "INCR":
			if old, ok := dbs[f[1]]; ok && old != db {
				t.Fatalf("%s written in db %d and %d", f[1], old, db)
			}
			dbs[f[1]] = db
		}
	}
	return dbs
}

// A local entry appended once a master's transaction that changed
// database has ended starts from, and returns to, the database the EXEC
// left the stream in: the master's next command replays where it ran.
// (The database was looked up apart from the placing: a replica's
// transaction placed after the EXEC returned to the MULTI's database, and
// the master's next SET replayed there: TestWritableReplicaAOF.)
func TestLocalEntryAfterTransactionChangedDB(t *testing.T) {
	s := New(0)
	aof := s.NewReaderAtEnd(true)
	aof.IncludeLocal()
	s.AppendRaw(5, []byte(respCmd("SELECT", "5")))
	s.HoldLocal()
	s.AppendRaw(SameDB, []byte(respCmd("MULTI")+respCmd("SET", "m5", "x")+respCmd("SELECT", "6")+respCmd("SET", "m6", "y")+respCmd("EXEC")))
	s.AppendLocal(localBatch(3, "SET", "during", "1")) // before the MULTI, in db 5's place
	s.SetMasterDB(6)
	s.ReleaseLocal()
	var b Batch
	b.AddStrings(0, "SET", "tx0", "a")
	b.AddStrings(2, "SET", "tx2", "b")
	s.AppendLocal(&b)
	s.AppendRaw(SameDB, []byte(respCmd("SET", "m5b", "z")))
	s.AppendRaw(1, []byte(respCmd("SELECT", "1")))
	s.AppendLocal(localBatch(1, "SET", "one", "1"))
	s.AppendRaw(SameDB, []byte(respCmd("SET", "m1", "w")))
	got := replayDBs(t, readAll(t, aof))
	want := map[string]int{"m5": 5, "m6": 6, "during": 3, "tx0": 0, "tx2": 2, "m5b": 6, "one": 1, "m1": 1}
	for k, db := range want {
		if got[k] != db {
			t.Errorf("%s replayed in db %d, written in %d", k, got[k], db)
		}
	}
}

func respCmd(args ...string) string {
	return string(AppendCommand(nil, bs(args...)))
}
