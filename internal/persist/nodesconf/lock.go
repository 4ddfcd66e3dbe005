package nodesconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrLocked is matched (errors.Is) by the *LockedError Lock returns when
// another process, or another Lock in this one, holds the file.
var ErrLocked = errors.New("cluster configuration file already in use")

// LockedError is Lock's refusal; its text is Redis 7.0's log line.
type LockedError struct{ Path string }

func (e *LockedError) Error() string {
	return fmt.Sprintf("Sorry, the cluster configuration file %s is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files.", e.Path)
}

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// held maps the absolute path of each file locked by this process to the
// open file holding the lock, so WriteAtomic can move the lock to the file it
// renames into place.
var held = struct {
	sync.Mutex
	m map[string]*os.File
}{m: map[string]*os.File{}}

// Lock takes an exclusive, non-blocking flock(2) on path, creating the file
// (empty, 0644) if it does not exist, as Redis's clusterLockConfig does; a
// Redis node started on the same file is refused as well. The lock lasts
// until unlock is called or the process exits. Lock refuses a path this
// process already holds.
func Lock(path string) (unlock func(), err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	held.Lock()
	defer held.Unlock()
	if _, ok := held.m[abs]; ok {
		return nil, &LockedError{Path: path}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("can't open %s in order to acquire a lock: %w", path, err)
	}
	if err := flock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &LockedError{Path: path}
		}
		return nil, fmt.Errorf("impossible to lock %s: %w", path, err)
	}
	held.m[abs] = f
	var once sync.Once
	return func() {
		once.Do(func() {
			held.Lock()
			defer held.Unlock()
			if f := held.m[abs]; f != nil {
				f.Close() // closing the last descriptor releases the flock
				delete(held.m, abs)
			}
		})
	}, nil
}

// lockForRename is called by WriteAtomic before renaming tmp over path. If
// path is locked by this process it locks tmp too; done(true) then makes tmp
// the held file and releases the old one, done(false) undoes the extra lock.
func lockForRename(path string, tmp *os.File) (done func(renamed bool), err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	held.Lock()
	old, ok := held.m[abs]
	if !ok {
		held.Unlock()
		return func(bool) { tmp.Close() }, nil
	}
	if err := flock(tmp); err != nil {
		held.Unlock()
		return nil, fmt.Errorf("impossible to lock %s: %w", tmp.Name(), err)
	}
	return func(renamed bool) {
		defer held.Unlock()
		if renamed {
			held.m[abs] = tmp
			old.Close()
		} else {
			tmp.Close()
		}
	}, nil
}
