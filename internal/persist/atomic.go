// Package persist holds what every file Shoal writes shares: a file that
// replaces its destination atomically (temp file, fsync, rename, directory
// fsync; DESIGN decision 5).
package persist

import (
	"os"
	"path/filepath"
)

// OpError is a failed step of writing a file, named as Redis's logs name
// it ("fsync", "fclose", "rename", "fsyncFileDir", …).
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// AtomicFile is a file written under a temporary name that replaces its
// destination only on Commit: a crash or an error leaves the old file.
type AtomicFile struct {
	*os.File
	tmp, path string
}

// CreateAtomic creates tmp (in path's directory when tmp is a bare name)
// for writing; Commit renames it to path.
func CreateAtomic(path, tmp string) (*AtomicFile, error) {
	if filepath.Base(tmp) == tmp {
		tmp = filepath.Join(filepath.Dir(path), tmp)
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &AtomicFile{File: f, tmp: tmp, path: path}, nil
}

// TempName is the temporary file's path.
func (a *AtomicFile) TempName() string { return a.tmp }

// Commit fsyncs and closes the file, renames it over the destination and
// fsyncs the directory. On error the temp file is removed.
func (a *AtomicFile) Commit() error {
	if err := a.File.Sync(); err != nil {
		a.Abort()
		return &OpError{"fsync", err}
	}
	if err := a.File.Close(); err != nil {
		os.Remove(a.tmp)
		return &OpError{"fclose", err}
	}
	if err := os.Rename(a.tmp, a.path); err != nil {
		os.Remove(a.tmp)
		return &OpError{"rename", err}
	}
	if err := SyncDir(filepath.Dir(a.path)); err != nil {
		return &OpError{"fsyncFileDir", err}
	}
	return nil
}

// Abort closes and removes the temp file.
func (a *AtomicFile) Abort() {
	a.File.Close()
	os.Remove(a.tmp)
}

// SyncDir fsyncs a directory, making a rename in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
