package server

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/testutil"
)

// TestAOFWriteErrorMisconf: once writing the AOF fails, writes (and PING)
// get Redis's MISCONF error naming the cause, reads keep working, and INFO
// says aof_last_write_status:err.
func TestAOFWriteErrorMisconf(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Appendonly = true
	cfg.Appenddirname = filepath.Join(dir, "appendonlydir") // absolute: no chdir in tests
	s := New(cfg, io.Discard)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(s.Close)
	if err := s.LoadDataFromDisk(); err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v")
	// Break the incremental file's descriptor under the writer: a read-only
	// /dev/null takes its number, so writes fail with EBADF.
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	incr := filepath.Join(cfg.Appenddirname, "appendonly.aof.1.incr.aof")
	fds, _ := os.ReadDir("/proc/self/fd")
	closed := false
	for _, e := range fds {
		if p, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && p == incr {
			fd, _ := strconv.Atoi(e.Name())
			if syscall.Dup2(int(null.Fd()), fd) == nil {
				closed = true
			}
		}
	}
	if !closed {
		t.Skip("cannot find the AOF descriptor in /proc/self/fd")
	}
	const misconf = "-MISCONF Errors writing to the AOF file: Bad file descriptor\r\n"
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if r := c.do("SET", "k2", "v2"); r != misconf {
			return &misconfErr{r}
		}
		return nil
	})
	c.expect(misconf, "PING")
	c.expect("$1\r\nv\r\n", "GET", "k")
	if info := c.do("INFO", "persistence"); !strings.Contains(info, "aof_last_write_status:err") {
		t.Fatalf("INFO persistence:\n%s", info)
	}
}

type misconfErr struct{ reply string }

func (e *misconfErr) Error() string { return "reply " + e.reply }
