package persist

import (
	"io"
	"syscall"
)

// childPipeSize is the capacity asked for the pipe to a writer child: at
// the default 64 KB the snapshot walk and the child woke each other for
// every 64 KB of a file of hundreds of MB. 1 MB is Linux's default
// /proc/sys/fs/pipe-max-size; a smaller limit leaves the default pipe.
const childPipeSize = 1 << 20

// growPipe enlarges the pipe behind w (os/exec's StdinPipe embeds the
// *os.File) where Linux allows it.
func growPipe(w io.Writer) {
	f, ok := w.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, childPipeSize)
	})
}
