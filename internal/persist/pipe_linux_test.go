package persist

import (
	"syscall"
	"testing"
)

// The pipe to a writer child holds 1 MB where the system allows it.
func TestWriterChildPipeSize(t *testing.T) {
	ch := startChild(t, t.TempDir())
	defer ch.Finish()
	f := ch.in.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size uintptr
	rc.Control(func(fd uintptr) {
		size, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, 0x408 /* F_GETPIPE_SZ */, 0)
	})
	if size != childPipeSize {
		t.Fatalf("pipe to the writer child holds %d bytes, want %d", size, childPipeSize)
	}
}
