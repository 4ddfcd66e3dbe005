//go:build linux

package netloop

import (
	"syscall"
	"unsafe"
)

// The loop's sockets are non-blocking, so reads and writes never wait.
// They are recvfrom, sendto and sendmsg rather than read, write and
// writev: the same socket calls without the file layer's detour
// (vfs_read/vfs_write, rw_verify_area, the iov_iter set-up), about 3 % of
// the server's CPU per request at pipeline depth 1 (docs/concurrency.md).
// MSG_NOSIGNAL: a write to a peer gone is EPIPE, without a SIGPIPE.
// Issuing them as raw syscalls skips the runtime's entersyscall/exitsyscall
// bookkeeping (and its hand-off of the P to another thread), which on a
// request/response workload costs more than the kernel work itself. A busy
// loop's epoll_wait is raw too, with a short timeout (rawWait); only a
// quiet loop waits through the runtime.

func rawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), syscall.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// rawWaitMillis is how long a busy loop waits raw before it counts as quiet
// and waits through the runtime, giving its P back. It also bounds how long
// the runtime may wait for the loop to stop (GC): a raw wait is interrupted
// by the runtime's preemption signal (EINTR), and without one it ends by
// itself this soon.
const rawWaitMillis = 2

// rawWait is epoll_wait with a timeout in milliseconds, issued raw: the
// thread keeps its P while it waits. It is epoll_pwait with no signal
// mask, the same call, which every Linux port has (arm64 has no
// epoll_wait).
func rawWait(epfd int, events []syscall.EpollEvent, msec int) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(msec), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// maxIov bounds the chunks one writev sends.
const maxIov = 64

// rawWritev writes the queue's head chunks with one writev.
func rawWritev(fd int, q *outQueue) (int, error) {
	var iov [maxIov]syscall.Iovec
	k := 0
	for i, b := range q.bufs {
		if k == maxIov {
			break
		}
		if i == 0 {
			b = b[q.off:]
		}
		if len(b) == 0 {
			continue
		}
		iov[k].Base = &b[0]
		iov[k].SetLen(len(b))
		k++
	}
	if k == 0 {
		return 0, nil
	}
	msg := syscall.Msghdr{Iov: &iov[0]}
	*(*uintptr)(unsafe.Pointer(&msg.Iovlen)) = uintptr(k) // size_t: 64 or 32 bits by platform
	n, _, e := syscall.RawSyscall(syscall.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), syscall.MSG_NOSIGNAL)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
