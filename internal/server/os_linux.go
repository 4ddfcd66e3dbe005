//go:build linux

package server

import (
	"runtime"
	"sync"
	"syscall"
)

// osOnce is INFO's os field: uname's system, release and machine.
var osOnce = sync.OnceValue(func() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return runtime.GOOS
	}
	return utsString(u.Sysname[:]) + " " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
})

// utsString is a NUL-terminated utsname field (int8 or uint8 by platform).
func utsString[T int8 | uint8](a []T) string {
	b := make([]byte, 0, len(a))
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
