//go:build !linux

package server

import (
	"os"
	"syscall"
)

// restoreDefault cannot go behind the Go runtime here: the exit status
// stands in for the signal (dieBySignal).
func restoreDefault(syscall.Signal) {}

func exitStatus(code int) { os.Exit(code) }
