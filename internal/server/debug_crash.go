package server

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/command"
)

// DEBUG SEGFAULT: a real invalid memory write, as Redis does it (a write
// to a read-only page), caught so that the crash report Redis writes on
// SIGSEGV goes to the log (the signal, si_code 2 = SEGV_ACCERR, the
// address, every goroutine's stack), then the process dies by SIGSEGV.

// segvAccErr is SEGV_ACCERR: invalid permissions for a mapped object.
const segvAccErr = 2

// If the write did not fault (no page protection, or the page could not
// be mapped) the server goes on and the client gets an error rather than
// a crash report for a crash that did not happen.
func (s *Server) debugSegfault(ctx *command.Ctx) {
	addr, ok := writeReadOnlyPage()
	if !ok {
		ctx.Error("ERR DEBUG SEGFAULT: the write to a read-only page did not fault")
		return
	}
	s.crashReport(syscall.SIGSEGV, segvAccErr, fmt.Sprintf("Accessing address: %#x", addr))
}

// CrashBySignal is Redis's sigsegvHandler for a fatal signal sent to the
// process (SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV from kill: si_code 0,
// SI_USER): the crash report, then death by the same signal.
func (s *Server) CrashBySignal(sig syscall.Signal) {
	s.crashReport(sig, 0, "")
}

// crashReport writes Redis's crash report (the signal, every goroutine's
// stack) to the log and ends the process by sig.
func (s *Server) crashReport(sig syscall.Signal, code int, detail string) {
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	s.Logf('#', "\n\n=== SHOAL BUG REPORT START: Cut & paste starting from here ===")
	s.Logf('#', "Shoal %s crashed by signal: %d, si_code: %d", Version, sig, code)
	if detail != "" {
		s.Logf('#', "%s", detail)
	}
	s.Logf('#', "\n------ STACK TRACE ------\n%s", stacks)
	s.Logf('#', "\n=== SHOAL BUG REPORT END. Make sure to include from START to END. ===\n")
	dieBySignal(sig)
}

// writeReadOnlyPage maps a read-only page and writes to it, with the
// fault turned into a recoverable panic; it returns the faulting address.
func writeReadOnlyPage() (addr uintptr, faulted bool) {
	page, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return 0, false
	}
	prev := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(prev)
	defer func() {
		if r := recover(); r != nil {
			faulted = true
			if e, ok := r.(interface{ Addr() uintptr }); ok {
				addr = e.Addr()
			}
		}
	}()
	page[0] = 'x'
	return 0, false
}

// dieBySignal ends the process by sig with the default action (a core
// dump for SIGSEGV and SIGABRT), as Redis re-raises the signal after its
// report; where the default cannot be restored the exit status is the
// shell's 128+sig.
func dieBySignal(sig syscall.Signal) {
	restoreDefault(sig)
	syscall.Kill(syscall.Getpid(), sig)
	time.Sleep(time.Second)
	exitStatus(128 + int(sig))
}
