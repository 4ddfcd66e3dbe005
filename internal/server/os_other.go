//go:build !linux

package server

import (
	"os/exec"
	"runtime"
	"strings"
	"sync"
)

// osOnce is INFO's os field: uname's system, release and machine (the
// uname program: the syscall package has no Uname here).
var osOnce = sync.OnceValue(func() string {
	out, err := exec.Command("uname", "-s", "-r", "-m").Output()
	if err != nil {
		return runtime.GOOS
	}
	return strings.TrimSpace(string(out))
})
