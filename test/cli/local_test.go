package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestLocalCluster: shoal-cli --cluster-local start brings up six nodes
// (3 masters, 3 replicas) that serve -c writes; stop ends every process
// (checked by pid); start again brings back the same node IDs; clean stops
// and removes the directories, leaving no process behind.
func TestLocalCluster(t *testing.T) {
	t.Parallel()
	cli := shoalCLI(t)
	dir := filepath.Join(t.TempDir(), "lc")
	base := takeBlock(t)
	flags := []string{"--port", strconv.Itoa(base), "--dir", dir}
	local := func(verb string) result {
		t.Helper()
		return run(t, 3*time.Minute, "", nil, cli, append([]string{"--cluster-local", verb}, flags...)...)
	}
	pids := func() []int {
		var ps []int
		for i := 0; i < 6; i++ {
			b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(base+i), "shoal.pid"))
			if err == nil {
				p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				ps = append(ps, p)
			}
		}
		return ps
	}
	var started []int
	t.Cleanup(func() { // never leave a node behind, even on failure
		for _, p := range append(started, pids()...) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})

	r := local("start")
	started = pids()
	if r.code != 0 {
		t.Fatalf("start:\n%s", r)
	}
	testutil.Equal(t, len(started), 6)
	testutil.True(t, strings.Contains(r.stdout, fmt.Sprintf("Cluster ok: 6 nodes on 127.0.0.1:%d-%d (3 masters, 3 replicas)", base, base+5)), "start summary:\n"+r.stdout)
	testutil.True(t, strings.Contains(r.stdout, "[OK] All 16384 slots covered."), "create output:\n"+r.stdout)
	// The hints name the binary as it was run (a path: it may not be on $PATH).
	testutil.True(t, strings.Contains(r.stdout, fmt.Sprintf("Connect:  %s -c -p %d\n", cli, base)), "connect hint:\n"+r.stdout)
	for i := 0; i < 6; i++ {
		conf, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(base+i), "redis.conf"))
		testutil.NoErr(t, err)
		testutil.Equal(t, string(conf), "port "+strconv.Itoa(base+i)+"\ncluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 5000\nappendonly yes\n")
	}
	ids := map[int]string{}
	masters := 0
	for i := 0; i < 6; i++ {
		addr := "127.0.0.1:" + strconv.Itoa(base+i)
		ids[i] = do(t, addr, "CLUSTER", "MYID")
		if strings.Contains(do(t, addr, "CLUSTER", "NODES"), "myself,master") {
			masters++
		}
	}
	testutil.Equal(t, masters, 3)
	w := run(t, 30*time.Second, "set foo bar\nset hello world\nget foo\nget hello\n", nil, cli, "-c", "-p", strconv.Itoa(base))
	testutil.Equal(t, w.code, 0)
	testutil.True(t, strings.Contains(w.stdout, "bar\n") && strings.Contains(w.stdout, "world\n"), "writes through -c:\n"+w.stdout)

	r = local("stop")
	testutil.Equal(t, r.code, 0)
	for _, p := range started {
		testutil.True(t, exited(p), "pid "+strconv.Itoa(p)+" still running after stop")
	}

	r = local("start")
	started = append(started, pids()...)
	if r.code != 0 {
		t.Fatalf("restart:\n%s", r)
	}
	testutil.True(t, strings.Contains(r.stdout, "cluster already created"), "restart does not create again:\n"+r.stdout)
	for i := 0; i < 6; i++ {
		testutil.Equal(t, do(t, "127.0.0.1:"+strconv.Itoa(base+i), "CLUSTER", "MYID"), ids[i])
	}
	// The data is back too (appendonly yes in the tutorial's redis.conf),
	// once the cluster is ok again.
	testutil.CheckFor(t, 60*time.Second, 200*time.Millisecond, func() error {
		g := run(t, 30*time.Second, "get foo\nget hello\n", nil, cli, "-c", "-p", strconv.Itoa(base))
		if g.code != 0 || !strings.Contains(g.stdout, "\nbar\n") || !strings.HasSuffix(g.stdout, "\nworld\n") {
			return fmt.Errorf("reads after restart: %s", g)
		}
		return nil
	})
	again := local("start") // idempotent while running
	testutil.Equal(t, again.code, 0)
	testutil.True(t, strings.Contains(again.stdout, "already running"), again.stdout)

	// The tutorial's "bring it back": a node killed, then restarted by
	// hand in its directory. status, start and clean find it by its port.
	hand := base + 5
	b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(hand), "shoal.pid"))
	testutil.NoErr(t, err)
	old, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	syscall.Kill(old, syscall.SIGKILL)
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if !exited(old) {
			return fmt.Errorf("pid %d still running after SIGKILL", old)
		}
		return nil
	})
	srv := exec.Command(filepath.Join(testutil.BuildBinaries(t), "shoal-server"), "./redis.conf", "--bind", "127.0.0.1")
	srv.Dir = filepath.Join(dir, strconv.Itoa(hand))
	srv.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	testutil.NoErr(t, srv.Start())
	started = append(started, srv.Process.Pid)
	go srv.Wait() // reaped, so that exited sees it gone
	testutil.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		c, err := testutil.DialTimeout("127.0.0.1:"+strconv.Itoa(hand), time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		v, err := c.Do("PING")
		if err != nil || string(v.Str) != "PONG" {
			return fmt.Errorf("restarted node: PING %v %v", v, err)
		}
		return nil
	})
	st := local("status")
	testutil.True(t, strings.Contains(st.stdout, fmt.Sprintf("node %d: running (pid %d", hand, srv.Process.Pid)), "status of a node restarted by hand:\n"+st.stdout)
	again = local("start")
	testutil.Equal(t, again.code, 0)
	testutil.True(t, strings.Contains(again.stdout, fmt.Sprintf("node %d already running (pid %d)", hand, srv.Process.Pid)), again.stdout)

	r = local("clean")
	testutil.Equal(t, r.code, 0)
	for _, p := range started {
		testutil.True(t, exited(p), "pid "+strconv.Itoa(p)+" still running after clean")
	}
	_, err = os.Stat(dir)
	testutil.True(t, os.IsNotExist(err), "clean removes "+dir)
}

// exited reports whether pid has ended: gone, or a zombie waiting for
// init (the nodes' parent, shoal-cli, exited long ago) to reap it.
func exited(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(st), ')')
	return i >= 0 && i+2 < len(st) && st[i+2] == 'Z'
}
