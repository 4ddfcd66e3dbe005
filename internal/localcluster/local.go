package localcluster

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/clustermgr"
)

// Config says which cluster to start, stop or clean.
type Config struct {
	Nodes    int    // number of nodes (default 6)
	Replicas int    // replicas per master (default 1)
	Port     int    // first port (default 7001); node i listens on Port+i
	Dir      string // parent of the per-node directories (default ./local-cluster)
	Server   string // shoal-server binary; default: next to shoal-cli, then $PATH
	CLI      string // how the closing hints name shoal-cli (default "shoal-cli")
	Stdout   io.Writer
	Stderr   io.Writer
}

const usage = `Usage: shoal-cli --cluster-local start|stop|clean|status [options]
  start    start the nodes (building nothing: uses the shoal-server binary
           next to shoal-cli or on $PATH), create the cluster the first
           time, wait until cluster_state:ok
  stop     stop the nodes (SIGTERM by pid, then wait)
  clean    stop the nodes and delete their directories
  status   print each node's pid and whether it answers
Options:
  --nodes N      number of nodes (default 6)
  --replicas N   replicas per master (default 1)
  --port P       port of the first node (default 7001)
  --dir D        directory holding one folder per node (default ./local-cluster)
  --server PATH  shoal-server binary to run
`

// Main runs shoal-cli --cluster-local args and returns the exit code.
func Main(args []string) int {
	c := Config{Stdout: os.Stdout, Stderr: os.Stderr, CLI: "shoal-cli"}
	if strings.ContainsRune(os.Args[0], '/') {
		// Run by path (bin/shoal-cli, as scripts/local-cluster.sh does):
		// the hints give that path, which works where "shoal-cli" is not
		// on $PATH.
		c.CLI = os.Args[0]
	}
	fs := flag.NewFlagSet("--cluster-local", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&c.Nodes, "nodes", 6, "")
	fs.IntVar(&c.Replicas, "replicas", 1, "")
	fs.IntVar(&c.Port, "port", 7001, "")
	fs.StringVar(&c.Dir, "dir", "local-cluster", "")
	fs.StringVar(&c.Server, "server", "", "")
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 1
	}
	verb := args[0]
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(os.Stderr, "%v\n%s", err, usage)
		return 1
	}
	var err error
	switch verb {
	case "start":
		err = c.Start()
	case "stop":
		err = c.Stop()
	case "clean":
		err = c.Clean()
	case "status":
		err = c.Status()
	default:
		fmt.Fprint(os.Stderr, usage)
		return 1
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "shoal-cli --cluster-local %s: %v\n", verb, err)
		return 1
	}
	return 0
}

func (c *Config) ports() []int {
	p := make([]int, c.Nodes)
	for i := range p {
		p[i] = c.Port + i
	}
	return p
}

func (c *Config) nodeDir(port int) string { return filepath.Join(c.Dir, strconv.Itoa(port)) }

// RedisConf is the tutorial's five-line node configuration.
func RedisConf(port int) string {
	return fmt.Sprintf("port %d\ncluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 5000\nappendonly yes\n", port)
}

func (c *Config) serverPath() (string, error) {
	if c.Server != "" {
		return c.Server, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "shoal-server")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("shoal-server")
	if err != nil {
		return "", errors.New("shoal-server not found next to shoal-cli or on $PATH (build it: go build -o bin/ ./cmd/...), or pass --server")
	}
	return p, nil
}

// readPid returns the pid recorded for the node on port, if that process
// is alive and still a shoal-server.
func (c *Config) readPid(port int) (int, bool) {
	b, err := os.ReadFile(filepath.Join(c.nodeDir(port), "shoal.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, alive(pid)
}

// nodePid returns the pid of the node on port: the one start recorded or,
// when that one has gone, a shoal-server answering on the port from the
// node's directory. That is a node the user restarted by hand, as the
// tutorial does after a failover (cd 7003; shoal-server ./redis.conf):
// stop, clean and status must find it too. Its pid is recorded from then on.
func (c *Config) nodePid(port int) (int, bool) {
	if pid, ok := c.readPid(port); ok {
		return pid, true
	}
	pid, ok := c.pidOnPort(port)
	if ok {
		os.WriteFile(filepath.Join(c.nodeDir(port), "shoal.pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644)
	}
	return pid, ok
}

// pidOnPort asks the server on port for its pid (INFO server) and returns
// it if that process is a shoal-server whose working directory is the
// node's directory (where its nodes.conf and AOF are), so that a server of
// another cluster on the same port is never taken for the node.
func (c *Config) pidOnPort(port int) (int, bool) {
	cl, err := client.Dial("127.0.0.1:"+strconv.Itoa(port), 500*time.Millisecond)
	if err != nil {
		return 0, false
	}
	defer cl.Close()
	cl.Timeout = 2 * time.Second
	v, err := cl.Do("INFO", "server")
	if err != nil || v.IsError() {
		return 0, false
	}
	_, after, found := strings.Cut(string(v.Str), "\r\nprocess_id:")
	if !found {
		return 0, false
	}
	field, _, _ := strings.Cut(after, "\r\n")
	pid, err := strconv.Atoi(field)
	if err != nil || pid <= 0 || !alive(pid) {
		return 0, false
	}
	// The kernel gives the cwd with symlinks resolved; so must the node's.
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	dir, derr := filepath.EvalSymlinks(c.nodeDir(port))
	if derr == nil {
		dir, derr = filepath.Abs(dir)
	}
	if err != nil || derr != nil || cwd != dir {
		return 0, false
	}
	return pid, true
}

// alive reports whether pid runs a shoal-server (not a zombie, not a
// recycled pid).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		if i := strings.LastIndexByte(string(st), ')'); i >= 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return false
		}
	}
	cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	return strings.Contains(string(cmd), "shoal-server")
}

func ping(port int, d time.Duration) bool {
	c, err := client.Dial("127.0.0.1:"+strconv.Itoa(port), d)
	if err != nil {
		return false
	}
	defer c.Close()
	c.Timeout = d
	v, err := c.Do("PING")
	return err == nil && string(v.Str) == "PONG"
}

func clusterInfo(port int) string {
	c, err := client.Dial("127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.Timeout = 2 * time.Second
	v, err := c.Do("CLUSTER", "INFO")
	if err != nil || v.IsError() {
		return ""
	}
	return string(v.Str)
}

// Start starts every node that is not running, creates the cluster if the
// nodes have never met, and waits until every node reports
// cluster_state:ok.
func (c *Config) Start() error {
	if c.Nodes < 3*(c.Replicas+1) {
		return fmt.Errorf("%d nodes cannot hold 3 masters with %d replicas each (need %d)", c.Nodes, c.Replicas, 3*(c.Replicas+1))
	}
	bin, err := c.serverPath()
	if err != nil {
		return err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	for _, p := range c.ports() {
		if p+10000 > 65535 {
			return fmt.Errorf("port %d: its cluster bus port %d is out of range", p, p+10000)
		}
		if pid, ok := c.nodePid(p); ok {
			fmt.Fprintf(c.Stdout, "node %d already running (pid %d)\n", p, pid)
			continue
		}
		if ping(p, 200*time.Millisecond) {
			return fmt.Errorf("port %d is taken by another server", p)
		}
		if err := c.startNode(bin, p); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, p := range c.ports() {
		for !ping(p, time.Second) {
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d did not answer PING; see %s", p, filepath.Join(c.nodeDir(p), "shoal.log"))
			}
			if _, ok := c.readPid(p); !ok {
				return fmt.Errorf("node %d exited; see %s", p, filepath.Join(c.nodeDir(p), "shoal.log"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	first := c.Port
	if info := clusterInfo(first); strings.Contains(info, "cluster_known_nodes:1\r\n") && strings.Contains(info, "cluster_slots_assigned:0\r\n") {
		var addrs []string
		for _, p := range c.ports() {
			addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(p))
		}
		o := clustermgr.DefaultOptions()
		o.Replicas, o.Yes = c.Replicas, true
		o.Stdout, o.Stderr = c.Stdout, c.Stderr
		if code := clustermgr.Run("create", addrs, o); code != 0 {
			return errors.New("cluster create failed")
		}
	} else {
		fmt.Fprintf(c.Stdout, "cluster already created; waiting for it to be ok\n")
	}
	deadline = time.Now().Add(60 * time.Second)
	for _, p := range c.ports() {
		for !strings.Contains(clusterInfo(p), "cluster_state:ok") {
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d is not cluster_state:ok after 60 s", p)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	masters := c.Nodes / (c.Replicas + 1)
	fmt.Fprintf(c.Stdout, "Cluster ok: %d nodes on 127.0.0.1:%d-%d (%d masters, %d replicas), data in %s\n",
		c.Nodes, c.Port, c.Port+c.Nodes-1, masters, c.Nodes-masters, c.Dir)
	cli := c.CLI
	if cli == "" {
		cli = "shoal-cli"
	}
	fmt.Fprintf(c.Stdout, "Connect:  %s -c -p %d\n", cli, c.Port)
	fmt.Fprintf(c.Stdout, "Check:    %s --cluster check 127.0.0.1:%d\n", cli, c.Port)
	fmt.Fprintf(c.Stdout, "Stop:     %s --cluster-local stop%s\n", cli, c.flagsText())
	return nil
}

func (c *Config) flagsText() string {
	s := ""
	if c.Port != 7001 {
		s += " --port " + strconv.Itoa(c.Port)
	}
	if c.Nodes != 6 {
		s += " --nodes " + strconv.Itoa(c.Nodes)
	}
	if c.Dir != "local-cluster" {
		s += " --dir " + c.Dir
	}
	return s
}

// startNode starts one node in its own session (so a Ctrl-C in the
// terminal that ran start does not reach it) and records its pid.
func (c *Config) startNode(bin string, port int) error {
	dir := c.nodeDir(port)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, "redis.conf")
	if _, err := os.Stat(conf); err != nil {
		if err := os.WriteFile(conf, []byte(RedisConf(port)), 0o644); err != nil {
			return err
		}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd := exec.Command(bin, "redis.conf", "--bind", "127.0.0.1", "--daemonize", "no", "--logfile", "shoal.log")
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node %d: %w", port, err)
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	if err := os.WriteFile(filepath.Join(dir, "shoal.pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "started node %d (pid %d)\n", port, pid)
	return nil
}

// nodePorts lists the node directories under Dir (every folder with a
// shoal.pid or redis.conf), so stop and clean find nodes started with
// other flags too.
func (c *Config) nodePorts() []int {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil
	}
	var ports []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(c.Dir, e.Name(), "redis.conf")); err == nil {
			ports = append(ports, p)
		}
	}
	sort.Ints(ports)
	return ports
}

// Stop sends SIGTERM to every running node and waits for it to exit
// (SIGKILL after 10 s).
func (c *Config) Stop() error {
	var failed []string
	for _, p := range c.nodePorts() {
		pid, ok := c.nodePid(p)
		if !ok {
			os.Remove(filepath.Join(c.nodeDir(p), "shoal.pid"))
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			failed = append(failed, strconv.Itoa(p))
			continue
		}
		os.Remove(filepath.Join(c.nodeDir(p), "shoal.pid"))
		fmt.Fprintf(c.Stdout, "stopped node %d (pid %d)\n", p, pid)
	}
	if len(failed) > 0 {
		return fmt.Errorf("nodes still running: %s", strings.Join(failed, ", "))
	}
	return nil
}

// Clean stops the nodes and deletes their directories (and Dir, if that
// leaves it empty).
func (c *Config) Clean() error {
	if err := c.Stop(); err != nil {
		return err
	}
	for _, p := range c.nodePorts() {
		if err := os.RemoveAll(c.nodeDir(p)); err != nil {
			return err
		}
	}
	os.Remove(c.Dir)
	fmt.Fprintf(c.Stdout, "removed %s\n", c.Dir)
	return nil
}

// Status prints one line per node.
func (c *Config) Status() error {
	for _, p := range c.nodePorts() {
		pid, ok := c.nodePid(p)
		state := "stopped"
		if ok {
			state = "running (pid " + strconv.Itoa(pid) + ")"
			if info := clusterInfo(p); info != "" {
				if i := strings.Index(info, "cluster_state:"); i >= 0 {
					state += ", " + strings.TrimSpace(strings.SplitN(info[i:], "\r\n", 2)[0])
				}
			}
		}
		fmt.Fprintf(c.Stdout, "node %d: %s\n", p, state)
	}
	return nil
}
