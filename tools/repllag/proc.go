package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// threads samples one process's threads from /proc/<pid>/task/*/schedstat
// (time on a CPU and time runnable but waiting for one, in ns): what a
// process was doing during a lag episode.
type threads struct {
	pid  int
	prev map[string][2]int64
	// totals over the run
	run, wait int64
}

// step reads every thread and returns, since the previous call, the
// process's CPU time and run-queue wait (ms), how many threads ran and
// how many waited over a millisecond.
func (t *threads) step() (runMs, waitMs float64, ran, waited int) {
	first := t.prev == nil
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", t.pid))
	cur := make(map[string][2]int64, len(dirs))
	var run, wait int64
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		r, _ := strconv.ParseInt(f[0], 10, 64)
		w, _ := strconv.ParseInt(f[1], 10, 64)
		cur[p] = [2]int64{r, w}
		if first {
			continue
		}
		old := t.prev[p] // zero for a thread started since
		dr, dw := r-old[0], w-old[1]
		run += dr
		wait += dw
		if dr > 0 {
			ran++
		}
		if dw > 1e6 {
			waited++
		}
	}
	t.prev = cur
	t.run += run
	t.wait += wait
	return float64(run) / 1e6, float64(wait) / 1e6, ran, waited
}

// linkQueues finds the TCP connection from the replica process to the
// master's port and returns the bytes in the master's send queue
// (the master side's tx_queue) and in the replica's receive queue
// (/proc/net/tcp, hex fields; -1 when not found).
func linkQueues(rpid, mport int) (masterSend, replicaRecv int64) {
	inodes := map[string]bool{}
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", rpid))
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[l[len("socket:["):len(l)-1]] = true
		}
	}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return -1, -1
	}
	lines := strings.Split(string(b), "\n")
	masterSend, replicaRecv = -1, -1
	var local string
	for _, ln := range lines[1:] {
		f := strings.Fields(ln)
		if len(f) < 10 || !inodes[f[9]] {
			continue
		}
		if port, _ := strconv.ParseUint(f[2][strings.IndexByte(f[2], ':')+1:], 16, 32); int(port) == mport {
			q := f[4] // tx_queue:rx_queue
			replicaRecv, _ = strconv.ParseInt(q[strings.IndexByte(q, ':')+1:], 16, 64)
			local = f[1]
			break
		}
	}
	if local == "" {
		return
	}
	for _, ln := range lines[1:] {
		f := strings.Fields(ln)
		if len(f) >= 5 && f[2] == local {
			q := f[4]
			masterSend, _ = strconv.ParseInt(q[:strings.IndexByte(q, ':')], 16, 64)
			break
		}
	}
	return
}
