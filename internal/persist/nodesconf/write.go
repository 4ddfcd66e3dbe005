package nodesconf

import (
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with data so that a crash leaves either the old
// or the new file, never a mix: it writes a temp file in the same directory,
// fsyncs it, renames it over path and fsyncs the directory (DESIGN decision
// 5). The file gets mode 0644, as Redis creates nodes.conf.
//
// If this process holds Lock(path), the lock is moved to the new file before
// the rename, so there is no moment when path names an unlocked file.
func WriteAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	cleanup := true // until the rename, a failure removes the temp file
	defer func() {
		if cleanup {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	handoff, err := lockForRename(path, tmp)
	if err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		handoff(false) // closes tmp; the deferred cleanup removes it
		return err
	}
	cleanup = false // tmp is now path; handoff closes it or keeps it as the lock
	handoff(true)
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WriteInPlace rewrites path the way Redis 7.0's clusterSaveConfig does
// when it does not fsync: one write at the start of the existing file,
// padded with newlines to its old length, then truncated to the new one.
// A process crash leaves the old file or the new one (a write(2) is not
// torn by the death of the process); a power loss may not. The runner uses
// it only for the changes Redis writes without fsync (cluster.Ready
// SyncConfig false); WriteAtomic costs a rename and two fsyncs, which a
// reshard would pay several times per slot.
func WriteInPlace(path string, data []byte) error {
	return writePadded(path, data, false)
}
