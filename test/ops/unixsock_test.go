package ops

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// unixNode starts kind ("redis" or "shoal") with a unix socket (mode 700)
// beside its TCP port and returns it with the socket's path.
func unixNode(t *testing.T, kind string) (*testutil.Node, string) {
	sock := filepath.Join(t.TempDir(), kind+".sock")
	args := []string{"--unixsocket", sock, "--unixsocketperm", "700"}
	if kind == "redis" {
		return testutil.StartRedis(t, args...), sock
	}
	return testutil.StartShoal(t, args...), sock
}

func dialUnix(t *testing.T, path string) *testutil.Conn {
	t.Helper()
	nc, err := net.DialTimeout("unix", path, 5*time.Second)
	testutil.NoErr(t, err)
	t.Cleanup(func() { nc.Close() })
	return &testutil.Conn{C: nc, R: bufio.NewReader(nc)}
}

// clientFields keeps the CLIENT LIST/INFO fields that say who the client
// is (addr, laddr, flags), with the socket path replaced by SOCK.
func clientFields(line, sock string) string {
	var keep []string
	for _, f := range strings.Fields(line) {
		k, _, _ := strings.Cut(f, "=")
		switch k {
		case "addr", "laddr", "flags", "db", "cmd", "user", "resp":
			keep = append(keep, strings.ReplaceAll(f, sock, "SOCK"))
		}
	}
	return strings.Join(keep, " ")
}

// unixsocket / unixsocketperm are served as Redis serves them: redis-cli
// -s works, the file has the permission asked for, CLIENT LIST shows the
// path as addr and laddr with the U flag, MONITOR names "unix:<path>", the
// startup line names the socket and the file is removed at shutdown.
func TestUnixSocketLikeRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	got := map[string][]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n, sock := unixNode(t, kind)
		out, err := exec.Command(testutil.RedisCLI(), "-s", sock, "SET", "k", "v").CombinedOutput()
		testutil.NoErr(t, err)
		testutil.Equal(t, strings.TrimSpace(string(out)), "OK")
		st, err := os.Stat(sock)
		testutil.NoErr(t, err)
		testutil.True(t, st.Mode()&os.ModeSocket != 0, kind+": not a socket")
		testutil.Equal(t, st.Mode().Perm(), os.FileMode(0o700))

		c := dialUnix(t, sock)
		info := c.MustDo(t, "CLIENT", "INFO")
		mon := dialUnix(t, sock)
		testutil.Equal(t, string(mon.MustDo(t, "MONITOR").Str), "OK")
		c.MustDo(t, "GET", "k")
		v, _, err := mon.Read()
		testutil.NoErr(t, err)
		monLine := regexp.MustCompile(`^\d+\.\d+ `).ReplaceAllString(string(v.Str), "T ")
		list := string(c.MustDo(t, "CLIENT", "LIST").Str)
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
			lines = append(lines, clientFields(l, sock))
		}
		// A TCP client beside them keeps its ip:port and no U flag.
		tcp := string(n.Dial(t).MustDo(t, "CLIENT", "INFO").Str)
		tcpFlags := regexp.MustCompile(`flags=\S+`).FindString(tcp)
		killed := c.MustDo(t, "CLIENT", "KILL", sock+":0")
		got[kind] = append([]string{clientFields(string(info.Str), sock), strings.ReplaceAll(monLine, sock, "SOCK"), tcpFlags, string(killed.Str)}, lines...)

		n.Stop()
		_, err = os.Stat(sock)
		testutil.True(t, os.IsNotExist(err), kind+": socket file left after shutdown")
		testutil.True(t, logHas(n, "The server is now ready to accept connections at "+sock), kind+": no ready line for the socket")
		testutil.True(t, logHas(n, "Removing the unix socket file."), kind+": no removal line")
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
	testutil.Equal(t, got["shoal"][0], "addr=SOCK:0 laddr=SOCK:0 flags=U db=0 cmd=client|info user=default resp=2")
}

// With port 0 only the unix socket is served; an unusable path ends the
// start with Redis's line.
func TestUnixSocketOnlyAndBadPath(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "only.sock")
	cmd := exec.Command(testutil.ShoalServerPath(t), "--port", "0", "--unixsocket", sock, "--save", "", "--dir", dir)
	logPath := filepath.Join(dir, "log")
	lf, err := os.Create(logPath)
	testutil.NoErr(t, err)
	defer lf.Close()
	cmd.Stdout, cmd.Stderr = lf, lf
	testutil.NoErr(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		_, err := exec.Command(testutil.RedisCLI(), "-s", sock, "PING").Output()
		return err
	})
	out, err := exec.Command(testutil.RedisCLI(), "-s", sock, "CONFIG", "GET", "port").Output()
	testutil.NoErr(t, err)
	testutil.Equal(t, strings.TrimSpace(string(out)), "port\n0")

	bad := exec.Command(testutil.ShoalServerPath(t), "--port", "0", "--unixsocket", filepath.Join(dir, "no", "such", "dir.sock"), "--save", "")
	res, err := bad.CombinedOutput()
	testutil.True(t, err != nil, "started on an unusable socket path")
	testutil.True(t, strings.Contains(string(res), "Failed opening Unix socket: bind: No such file or directory"), string(res))
}
