//go:build linux

package server

import (
	"os"
	"syscall"
	"unsafe"
)

// restoreDefault sets sig's disposition back to SIG_DFL behind the Go
// runtime (rt_sigaction with an all-zero sigaction: handler SIG_DFL, no
// flags, an empty mask, on every Linux architecture).
func restoreDefault(sig syscall.Signal) {
	var act [4]uint64
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
}

func exitStatus(code int) { os.Exit(code) }
