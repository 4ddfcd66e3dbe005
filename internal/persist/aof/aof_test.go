package aof

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/stream"
)

func TestManifestRoundTrip(t *testing.T) {
	in := "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.2.incr.aof seq 2 type h\nfile appendonly.aof.5.incr.aof seq 5 type i\nfile appendonly.aof.6.incr.aof seq 6 type i\n"
	m, err := ParseManifest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m.Bytes()); got != in {
		t.Fatalf("round trip:\n%s", got)
	}
	if fi, added := m.LastIncr("appendonly.aof"); added || fi.Name != "appendonly.aof.6.incr.aof" {
		t.Fatalf("LastIncr: %v %v", fi, added)
	}
	// A rewrite: new incr, then the new base; the rest becomes history,
	// each group at the head of the list as Redis adds it (the old base,
	// then the old incremental files before it; integration/aof-multi-part
	// "AOF enable/disable auto gc" reads that order).
	m.NewIncr("appendonly.aof")
	b := m.InstallBase("appendonly.aof", false)
	want := "file appendonly.aof.4.base.aof seq 4 type b\n" +
		"file appendonly.aof.5.incr.aof seq 5 type h\nfile appendonly.aof.6.incr.aof seq 6 type h\n" +
		"file appendonly.aof.3.base.rdb seq 3 type h\nfile appendonly.aof.2.incr.aof seq 2 type h\n" +
		"file appendonly.aof.7.incr.aof seq 7 type i\n"
	if b.Name != "appendonly.aof.4.base.aof" || string(m.Bytes()) != want {
		t.Fatalf("after a rewrite:\n%s", m.Bytes())
	}
	// Quoted names, comments, any key order.
	m, err = ParseManifest([]byte("# comment\ntype b seq 1 file \"a b.aof\"\n"))
	if err != nil || m.Base.Name != "a b.aof" {
		t.Fatalf("%v %v", m, err)
	}
	if got := string(m.Bytes()); got != "file \"a b.aof\" seq 1 type b\n" {
		t.Fatalf("quoted: %q", got)
	}
}

func TestManifestErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "Found an empty AOF manifest"},
		{"\n", "Invalid AOF manifest file format"},
		{"file a seq 1\n", "Invalid AOF manifest file format"},
		{"file a seq 0 type b\n", "Invalid AOF manifest file format"},
		{"file a/b seq 1 type b\n", "File can't be a path, just a filename"},
		{"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"},
		{"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number"},
		{"file a seq 1 type x\n", "Unknown AOF file type"},
		{"file " + strings.Repeat("x", 1100) + " seq 1 type b\n", "The AOF manifest file contains too long line"},
	} {
		_, err := ParseManifest([]byte(tc.in))
		if err == nil || err.Error() != tc.msg {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.msg)
		}
	}
}

// loadString loads one file with the given content and returns the
// commands applied and the result.
func loadString(t testing.TB, content string, truncated bool) ([]string, Result, string) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.aof"), []byte(content), 0o644)
	var cmds []string
	var log strings.Builder
	ld := &Loader{Dir: dir, LoadTruncated: truncated, RDB: readRDB,
		Logf: func(_ byte, f string, a ...any) { log.WriteString(f + "\n") },
		Apply: func(args [][]byte) error {
			parts := make([]string, len(args))
			for i, a := range args {
				parts[i] = string(a)
			}
			cmds = append(cmds, strings.Join(parts, " "))
			return nil
		}}
	return cmds, ld.LoadFile("f.aof"), log.String()
}

// readRDB reads (and drops) an RDB as the server's loader would read it.
func readRDB(r io.Reader) error {
	rr := rdb.NewReader(r, rdb.DefaultSettings())
	for {
		if _, err := rr.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestLoadFile(t *testing.T) {
	full := "#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nx\r\n"
	cmds, res, _ := loadString(t, full, false)
	if res != OK || strings.Join(cmds, "|") != "SELECT 0|SET k v\r\nx" {
		t.Fatalf("%v %q", res, cmds)
	}
	// Truncated in the middle of a command.
	cut := full + "*2\r\n$3\r\nDEL\r\n$1\r"
	if _, res, log := loadString(t, cut, false); res != Failed || !strings.Contains(log, "Unexpected end of file") {
		t.Fatalf("truncated, aof-load-truncated no: %v %s", res, log)
	}
	cmds, res, _ = loadString(t, cut, true)
	if res != Truncated || len(cmds) != 2 {
		t.Fatalf("truncated, aof-load-truncated yes: %v %q", res, cmds)
	}
	// An unfinished MULTI is reverted (DISCARD) and cut.
	multi := full + "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
	cmds, res, log := loadString(t, multi, true)
	if res != Truncated || cmds[len(cmds)-1] != "DISCARD" || !strings.Contains(log, "Revert incomplete MULTI/EXEC") {
		t.Fatalf("open MULTI: %v %q %s", res, cmds, log)
	}
	if _, res, log := loadString(t, "SET k v\r\n", false); res != Failed || !strings.Contains(log, "Bad file format") {
		t.Fatalf("inline command: %v %s", res, log)
	}
}

// An empty RDB base, as Redis 7.0.15 writes one for an empty dataset with
// aof-use-rdb-preamble yes (aux fields, EOF, checksum).
const emptyRDB = "REDIS0010\xfa\tredis-ver\x067.0.15\xfa\nredis-bits\xc0@\xfa\x05ctime\xc2\xb3\xe1mg\xfa\bused-mem\xc2\x10\x9c\x11\x00\xfa\baof-base\xc0\x01\xff\x00\x00\x00\x00\x00\x00\x00\x00"

func TestLoadRDBBase(t *testing.T) {
	cmds, res, log := loadString(t, emptyRDB+"*1\r\n$4\r\nPING\r\n", false)
	if res != OK || len(cmds) != 1 || !strings.Contains(log, "Reading RDB base file on AOF loading...") {
		t.Fatalf("%v %q %s", res, cmds, log)
	}
	if _, res, _ := loadString(t, "REDIS0010\x00\x01k\x01v\xfe", false); res != Failed {
		t.Fatal("a broken RDB base loaded")
	}
}

// TestWriterAppendsStream: what the stream holds reaches the file, with
// #TS: annotations when enabled; Sync makes it durable.
func TestWriterAppendsStream(t *testing.T) {
	s := stream.New(0)
	r := s.NewReaderAtEnd(true)
	f, err := os.Create(filepath.Join(t.TempDir(), "i.aof"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, r, 0, FsyncAlways)
	w.SetTimestamps(true)
	w.Start()
	off := s.Append(0, []byte("SET"), []byte("k"), []byte("v"))
	if err := w.Sync(off); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	if !bytes.HasPrefix(b, []byte("#TS:")) || !bytes.HasSuffix(b, []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")) {
		t.Fatalf("file: %q", b)
	}
	if w.Size() != int64(len(b)) || w.Err() != nil {
		t.Fatalf("size %d err %v", w.Size(), w.Err())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriterSyncAfterClose: a Sync or Flush that loaded the writer before
// it was closed (appendonly no, a shutdown; a replica's ACK runs on its
// own goroutine) returns quietly; it used to read the closed reader, take
// ErrClosed for a write error and exit the process.
func TestWriterSyncAfterClose(t *testing.T) {
	s := stream.New(0)
	s.SetBacklog(1 << 20) // the stream goes on after the writer's reader
	r := s.NewReaderAtEnd(true)
	f, err := os.Create(filepath.Join(t.TempDir(), "i.aof"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, r, 0, FsyncAlways)
	fatal := ""
	w.Fatal = func(msg string) { fatal = msg }
	w.Start()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	off := s.Append(0, []byte("SET"), []byte("k"), []byte("v"))
	if off == 0 {
		t.Fatal("the stream kept nothing")
	}
	if err := w.Sync(off); err != nil || fatal != "" {
		t.Fatalf("Sync after Close: %v, fatal %q", err, fatal)
	}
	if err := w.Flush(off); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
}

// TestWriterSkipsReplicasOnly: bytes for replicas alone (the master's
// PING) stay out of the file but count as written, so the AOF buffer is
// empty after them (INFO's aof_buffer_length, appendfsync always waits).
func TestWriterSkipsReplicasOnly(t *testing.T) {
	s := stream.New(0)
	r := s.NewReaderAtEnd(true)
	r.IncludeLocal()
	f, err := os.Create(filepath.Join(t.TempDir(), "i.aof"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, r, 0, FsyncAlways)
	w.Start()
	defer w.Close()
	s.Append(0, []byte("SET"), []byte("k"), []byte("v"))
	off := s.AppendReplicasOnly([]byte("*1\r\n$4\r\nPING\r\n"))
	if err := w.Sync(off); err != nil {
		t.Fatal(err)
	}
	if w.Written() != s.Offset() {
		t.Fatalf("written %d, stream at %d", w.Written(), s.Offset())
	}
	b, _ := os.ReadFile(f.Name())
	if want := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"; string(b) != want {
		t.Fatalf("file: %q", b)
	}
}

// TestWriterError: a failing write is reported by Err, and the bytes are
// kept for the next attempt.
func TestWriterError(t *testing.T) {
	s := stream.New(0)
	r := s.NewReaderAtEnd(true)
	p := filepath.Join(t.TempDir(), "i.aof")
	os.WriteFile(p, nil, 0o644)
	ro, _ := os.Open(p) // read-only: writes fail
	w := NewWriter(ro, r, 0, FsyncEverysec)
	s.Append(0, []byte("SET"), []byte("k"), []byte("v"))
	w.mu.Lock()
	err := w.writeOut()
	w.mu.Unlock()
	if err == nil || w.Err() == nil || len(w.pending) == 0 {
		t.Fatalf("write to a read-only file: %v %v %d", err, w.Err(), len(w.pending))
	}
	// The file becomes writable again: the pending bytes go out, Err clears.
	rw, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	w.f = rw
	w.mu.Lock()
	err = w.writeOut()
	w.mu.Unlock()
	b, _ := os.ReadFile(p)
	if err != nil || w.Err() != nil || !strings.HasSuffix(string(b), "$1\r\nv\r\n") {
		t.Fatalf("after recovery: %v %v %q", err, w.Err(), b)
	}
	ro.Close()
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	f.Add([]byte("# c\nfile \"x y\" seq 2 type h\nfile z seq 3 type i\n"))
	f.Add([]byte("file a seq 1 type b\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		// What we write reads back the same.
		m2, err := ParseManifest(m.Bytes())
		if err != nil {
			if len(m.Bytes()) == 0 {
				return // only comments: nothing to write
			}
			t.Fatalf("re-reading %q: %v", m.Bytes(), err)
		}
		if !bytes.Equal(m.Bytes(), m2.Bytes()) {
			t.Fatalf("%q != %q", m.Bytes(), m2.Bytes())
		}
	})
}

func FuzzLoadFile(f *testing.F) {
	f.Add([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), true)
	f.Add([]byte("#TS:1\r\n*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n"), false)
	f.Add([]byte(emptyRDB+"*1\r\n$4\r\nPING\r\n"), true)
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$-1\r\n$99999999999\r\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, truncated bool) {
		cmds, res, _ := loadString(t, string(data), truncated)
		if res == Truncated && !truncated {
			t.Fatal("truncated with aof-load-truncated no")
		}
		if res != OK && res != Truncated && res != Failed && res != Empty {
			t.Fatalf("result %d", res)
		}
		if len(cmds) > len(data)/4+1 { // "*1\r\n" at least per command
			t.Fatalf("%d commands from %d bytes", len(cmds), len(data))
		}
	})
}
