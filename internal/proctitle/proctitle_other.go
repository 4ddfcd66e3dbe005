//go:build !linux

package proctitle

// Init does nothing: the title is only set on Linux.
func Init() {}

// Set does nothing: the title is only set on Linux.
func Set(string) {}
