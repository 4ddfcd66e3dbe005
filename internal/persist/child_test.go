package persist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestMain lets the test binary be its own writer child.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WriterChildArg {
		os.Exit(RunWriterChild(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func startChild(t *testing.T, dir string) *WriterChild {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := StartWriterChild(exe, filepath.Join(dir, "temp-%d.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// The child writes what it is sent to temp-<its pid>.rdb; Commit renames it.
func TestWriterChildWrites(t *testing.T) {
	dir := t.TempDir()
	ch := startChild(t, dir)
	if want := filepath.Join(dir, "temp-"+itoa(ch.Pid)+".rdb"); ch.Tmp != want {
		t.Fatalf("Tmp %q, want %q", ch.Tmp, want)
	}
	data := bytes.Repeat([]byte("0123456789"), 300_000) // past the pipe's buffer
	if _, err := ch.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := ch.Finish(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dump.rdb")
	if err := ch.Commit(dst); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file: %d bytes, err %v; want %d bytes", len(got), err, len(data))
	}
	if _, err := os.Stat(ch.Tmp); !os.IsNotExist(err) {
		t.Fatalf("temp file still there: %v", err)
	}
}

// A killed child: Done closes, writes fail, Finish names the signal.
func TestWriterChildKilled(t *testing.T) {
	dir := t.TempDir()
	ch := startChild(t, dir)
	if _, err := ch.Write([]byte("REDIS0010")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(ch.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ch.Done()
	if _, err := ch.Write(make([]byte, 1<<20)); err == nil {
		t.Fatal("write to a dead child succeeded")
	}
	var ce *ChildExitError
	if err := ch.Finish(); !errors.As(err, &ce) || ce.Signal != syscall.SIGKILL {
		t.Fatalf("Finish: %v", err)
	}
	ch.Remove()
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Fatalf("left: %v", m)
	}
}

// A child that cannot create its file exits 1.
func TestWriterChildCannotCreate(t *testing.T) {
	ch := startChild(t, filepath.Join(t.TempDir(), "missing"))
	var ce *ChildExitError
	if err := ch.Finish(); !errors.As(err, &ce) || ce.Code != 1 {
		t.Fatalf("Finish: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
