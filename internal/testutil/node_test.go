package testutil

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestStartRedis(t *testing.T) {
	n := StartRedis(t, "--maxmemory-policy", "allkeys-lfu")
	c := n.Dial(t)
	Equal(t, c.MustDo(t, "SET", "k", "v").String(), "OK")
	Equal(t, c.MustDo(t, "GET", "k").String(), `"v"`)
	Equal(t, c.MustDo(t, "CONFIG", "GET", "maxmemory-policy").String(), `["maxmemory-policy", "allkeys-lfu"]`)
	Equal(t, c.MustDo(t, "CONFIG", "GET", "dir").Elems[1].String(), `"`+n.Dir+`"`)
	Equal(t, c.MustDo(t, "CONFIG", "GET", "save").Elems[1].String(), `""`)
	Equal(t, c.MustDo(t, "CONFIG", "GET", "appendonly").Elems[1].String(), `"no"`)
	c.Close()

	pid, port := n.Pid, n.Port
	n.Restart()
	True(t, n.Pid != pid, "restart kept the old pid")
	Equal(t, n.Port, port)
	NoErr(t, Ping(n.Addr, time.Second))

	n.Kill()
	True(t, !n.Running(), "running after Kill")
	// The pid is gone: signal 0 reports ESRCH once the process is reaped.
	err := syscall.Kill(n.Pid, 0)
	True(t, errors.Is(err, syscall.ESRCH), "process still exists after Kill")
	n.Stop() // idempotent
}

func TestStartRedisConfigFile(t *testing.T) {
	SkipIfNoRedis(t)
	f := t.TempDir() + "/redis.conf"
	NoErr(t, os.WriteFile(f, []byte("databases 4\n"), 0o644))
	n := StartRedis(t, f)
	c := n.Dial(t)
	Equal(t, c.MustDo(t, "SELECT", "4").String(), "(error) ERR DB index is out of range")
}

func TestManyNodesDistinctPorts(t *testing.T) {
	seen := map[int]bool{}
	for range 4 {
		n := StartRedis(t)
		True(t, !seen[n.Port], "port reused")
		seen[n.Port] = true
	}
}

func TestCheckFor(t *testing.T) {
	calls := 0
	CheckFor(t, time.Second, time.Millisecond, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	Equal(t, calls, 3)
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	NoErr(t, err)
	_, err = os.Stat(root + "/go.mod")
	NoErr(t, err)
}

func TestBuildBinaries(t *testing.T) {
	dir := BuildBinaries(t) // skips while cmd/shoal-server is missing
	_, err := os.Stat(dir + "/shoal-server")
	NoErr(t, err)
	Equal(t, BuildBinaries(t), dir) // built once
}
