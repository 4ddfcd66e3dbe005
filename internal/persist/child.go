package persist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// WriterChildArg, as shoal-server's first argument, makes the process a
// writer child (RunWriterChild) instead of a server.
//
// A background save's snapshot is taken without fork (DESIGN decision 9),
// but its file is written by a child process, as Redis's is: the server
// streams the bytes into the child's stdin, the child writes them to its
// temp file and fsyncs it, the server renames it. The child is a real
// process with a real job, so what tools and operators do to Redis's fork
// child (see it with pgrep -P, kill it: the save fails) holds here too.
const WriterChildArg = "--shoal-writer-child"

// RunWriterChild is the child's side: args are the temp file pattern (one
// %d, which becomes this process's pid, as Redis names its temp files
// temp-<child pid>.rdb). It copies stdin to the file until EOF, fsyncs and
// closes it, and returns the exit status: 0, or 1 after an error on stderr.
// Whether the file is wanted is the parent's decision.
func RunWriterChild(args []string) int {
	if len(args) != 1 || strings.Count(args[0], "%d") != 1 {
		fmt.Fprintf(os.Stderr, "usage: %s PATTERN (one %%d)\n", WriterChildArg)
		return 2
	}
	name := fmt.Sprintf(args[0], os.Getpid())
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "writer child: %v\n", err)
		return 1
	}
	_, err = io.Copy(f, bufio.NewReaderSize(os.Stdin, 1<<20))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "writer child: %s: %v\n", name, err)
		return 1
	}
	return 0
}

// WriterChild is a running writer child, seen from the parent.
type WriterChild struct {
	Pid  int
	Tmp  string // the temp file the child writes
	cmd  *exec.Cmd
	in   io.WriteCloser
	done chan struct{} // closed when the child has exited
	err  error         // its exit, once done
}

// ChildExitError is a writer child that did not exit 0: killed by Signal
// (0 if it exited), or exited with Code.
type ChildExitError struct {
	Signal syscall.Signal
	Code   int
}

func (e *ChildExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("writer child terminated by signal %d", int(e.Signal))
	}
	return fmt.Sprintf("writer child exited with code %d", e.Code)
}

// StartWriterChild starts exe as a writer child writing the temp file
// pattern (absolute, or relative to the working directory; one %d).
func StartWriterChild(exe, pattern string) (*WriterChild, error) {
	cmd := exec.Command(exe, WriterChildArg, pattern)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	growPipe(in)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &WriterChild{Pid: cmd.Process.Pid, Tmp: fmt.Sprintf(pattern, cmd.Process.Pid), cmd: cmd, in: in, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				err = &ChildExitError{Signal: ws.Signal()}
			} else {
				err = &ChildExitError{Code: ee.ExitCode()}
			}
		}
		c.err = err
		close(c.done)
	}()
	return c, nil
}

// Write sends p to the child's file; it fails (EPIPE) once the child is gone.
func (c *WriterChild) Write(p []byte) (int, error) { return c.in.Write(p) }

// Done is closed when the child has exited, whether Finish was called or
// not (it was killed).
func (c *WriterChild) Done() <-chan struct{} { return c.done }

// Finish ends the child's input and waits for it: nil if it wrote and
// fsynced its file and exited 0.
func (c *WriterChild) Finish() error {
	c.in.Close()
	<-c.done
	return c.err
}

// Commit renames the child's file onto path and fsyncs the directory;
// after Finish returned nil. On error the temp file is removed.
func (c *WriterChild) Commit(path string) error {
	if err := os.Rename(c.Tmp, path); err != nil {
		os.Remove(c.Tmp)
		return &OpError{"rename", err}
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return &OpError{"fsyncFileDir", err}
	}
	return nil
}

// Remove deletes the child's temp file (a failed or unwanted save).
func (c *WriterChild) Remove() { os.Remove(c.Tmp) }
