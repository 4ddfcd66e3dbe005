package stream

import (
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
	if at := s.AppendLocal(localBatch(0, "SET", "x", "1"), 0); at != -1 {
		t.Fatalf("kept a local entry with no local reader (at %d)", at)
	}
	aof := s.NewReaderAtEnd(true)
	aof.IncludeLocal()
	repl, _ := s.NewReader(100, true)
	s.AppendRaw(0, []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"))
	off := s.Offset()
	if at := s.AppendLocal(localBatch(3, "SET", "mine", "1"), 0); at != off {
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
	s.HoldLocal(0)
	s.AppendRaw(SameDB, []byte("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"))
	if got := strings.Join(commands(t, readAll(t, aof)), "|"); got != "SET a 1" {
		t.Fatalf("read past an open MULTI: %s", got)
	}
	select {
	case <-aof.Wait():
		t.Fatal("Wait fires while the reader is held")
	default:
	}
	db := s.LocalDB(7)
	if db != 0 {
		t.Fatalf("LocalDB during the hold: %d", db)
	}
	s.AppendLocal(localBatch(1, "INCR", "n"), db)
	s.AppendRaw(SameDB, []byte("*1\r\n$4\r\nEXEC\r\n"))
	s.ReleaseLocal()
	<-aof.Wait()
	got := strings.Join(commands(t, readAll(t, aof)), "|")
	if want := "SELECT 1|INCR n|SELECT 0|MULTI|SET b 2|EXEC"; got != want {
		t.Fatalf("after the hold: %s\nwant %s", got, want)
	}
	// Closing the last local reader drops what it did not read.
	s.AppendLocal(localBatch(0, "SET", "y", "1"), 0)
	aof.Close()
	if s.KeepsLocal() || len(s.locals) != 0 {
		t.Fatal("local entries kept with no local reader")
	}
}
