//go:build unix

package nodesconf

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// tryFlock opens path afresh (a new open file description, as another process
// would have) and reports whether LOCK_EX|LOCK_NB succeeds.
func tryFlock(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return true
	}
	if err != syscall.EWOULDBLOCK {
		t.Fatal(err)
	}
	return false
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodes.conf")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("Lock did not create an empty file: %v", err)
	}
	_, err = Lock(path)
	var le *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("second Lock = %v, want ErrLocked", err)
	}
	want := "Sorry, the cluster configuration file " + path + " is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files."
	if err.Error() != want {
		t.Fatalf("error text %q", err)
	}
	if tryFlock(t, path) {
		t.Fatal("file not locked")
	}
	// The lock follows the file across atomic rewrites.
	for i := 0; i < 3; i++ {
		if err := WriteAtomic(path, []byte("x\n")); err != nil {
			t.Fatal(err)
		}
		if tryFlock(t, path) {
			t.Fatalf("rewrite %d left nodes.conf unlocked", i)
		}
	}
	unlock()
	unlock() // idempotent
	if !tryFlock(t, path) {
		t.Fatal("still locked after unlock")
	}
	unlock2, err := Lock(path)
	if err != nil {
		t.Fatalf("relock: %v", err)
	}
	unlock2()
	// Unlocked files are rewritten without taking a lock.
	if err := WriteAtomic(path, []byte("y\n")); err != nil || !tryFlock(t, path) {
		t.Fatalf("unlocked rewrite: %v", err)
	}
}
