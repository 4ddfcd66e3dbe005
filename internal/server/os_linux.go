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
	str := func(a [65]int8) string {
		b := make([]byte, 0, len(a))
		for _, c := range a {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	return str(u.Sysname) + " " + str(u.Release) + " " + str(u.Machine)
})
