//go:build !linux

package nodesconf

import "os"

// fdatasync is a full fsync where the system has no fdatasync (macOS).
func fdatasync(f *os.File) error { return f.Sync() }
