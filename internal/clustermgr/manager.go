package clustermgr

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/resp"
)

// Slots is the number of hash slots.
const Slots = 16384

const portIncr = 10000 // bus port = port + 10000

// Options are the --cluster-* flags and the connection settings the manager
// shares with the client (-a, --user).
type Options struct {
	// TLS, if set, is used for every connection to a node (--tls).
	TLS                *tls.Config
	Replicas           int
	MasterID           string
	From, To           string
	FromUser, FromPass string
	FromAskPass        bool
	Weights            []string
	Slots              int
	Timeout            int // ms, MIGRATE timeout
	Pipeline           int // keys per MIGRATE
	Threshold          float64
	Yes, Simulate      bool
	Replace, Copy      bool
	Slave              bool
	UseEmptyMasters    bool
	CheckOwners        bool
	FixWithUnreachable bool
	OnlyMasters        bool
	OnlyReplicas       bool
	Verbose            bool
	Color              bool
	// Parallel is shoal-cli's own --cluster-parallel: how many slots
	// reshard/rebalance move at once (0 or 1 = one at a time, as redis-cli).
	Parallel int
	// PipelineSet says --cluster-pipeline was given (the parallel mode
	// otherwise uses larger batches).
	PipelineSet bool
	// Progress shows one progress line instead of a line per slot in the
	// parallel mode (set when stdout is a terminal).
	Progress bool
	// ReplicaLag adds shoal-cli's replica lag section to check (set on a
	// terminal, or with --cluster-replica-lag).
	ReplicaLag bool

	User, Password string
	AuthSet        bool

	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// DefaultOptions are redis-cli's defaults.
func DefaultOptions() Options {
	return Options{Timeout: 60000, Pipeline: 10, Threshold: 2}
}

// Node flags, as CLUSTER_MANAGER_FLAG_*.
const (
	flagMyself = 1 << iota
	flagSlave
	flagFriend
	flagNoAddr
	flagDisconnect
	flagFail
)

type node struct {
	conn          *client.Conn
	name          string
	ip            string
	port, busPort int
	currentEpoch  uint64
	flags         int
	flagsStr      []string
	replicate     string
	dirty         bool
	slots         [Slots]bool
	slotsCount    int
	replicasCount int
	friends       []*node
	migrating     [][2]string // slot, destination id
	importing     [][2]string // slot, source id
	weight        float32
	balance       int
}

func newNode(ip string, port, busPort int) *node {
	if busPort == 0 {
		busPort = port + portIncr
	}
	return &node{ip: ip, port: port, busPort: busPort, weight: 1}
}

func (n *node) resetSlots() { n.slots = [Slots]bool{}; n.slotsCount = 0 }

func (n *node) isSlave() bool { return n.flags&flagSlave != 0 }

// Manager runs one --cluster subcommand.
type Manager struct {
	opts               Options
	nodes              []*node
	errors             []string
	unreachableMasters int
	out                *bufio.Writer
	stdin              *bufio.Reader
	fixing             bool // the fix subcommand is running
	movedKeys          int  // keys migrated by moveSlot, for progress
}

// Run runs subcommand name with its arguments and returns the exit code.
func Run(name string, args []string, opts Options) int {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	m := &Manager{opts: opts, out: bufio.NewWriterSize(opts.Stdout, 1)}
	m.out = bufio.NewWriter(opts.Stdout)
	m.stdin = bufio.NewReaderSize(opts.Stdin, 16)
	defer m.out.Flush()
	def, ok := commands[name]
	if !ok {
		fmt.Fprint(opts.Stderr, "Unknown --cluster subcommand\n")
		return 1
	}
	if (def.arity > 0 && len(args) != def.arity) || (def.arity < 0 && len(args) < -def.arity) {
		fmt.Fprint(opts.Stderr, "[ERR] Wrong number of arguments for specified --cluster sub command\n")
		return 1
	}
	okRun := def.proc(m, args)
	for _, n := range m.nodes {
		if n.conn != nil {
			n.conn.Close()
		}
	}
	if okRun {
		return 0
	}
	return 1
}

type commandDef struct {
	proc  func(*Manager, []string) bool
	arity int
}

var commands map[string]commandDef

func init() {
	commands = map[string]commandDef{
		"create":      {(*Manager).create, -2},
		"check":       {(*Manager).check, -1},
		"info":        {(*Manager).info, -1},
		"fix":         {(*Manager).fix, -1},
		"reshard":     {(*Manager).reshard, -1},
		"rebalance":   {(*Manager).rebalance, -1},
		"add-node":    {(*Manager).addNode, 2},
		"del-node":    {(*Manager).delNode, 2},
		"call":        {(*Manager).call, -2},
		"set-timeout": {(*Manager).setTimeout, 2},
		"import":      {(*Manager).importCmd, 1},
		"backup":      {(*Manager).backup, 2},
		"help":        {(*Manager).help, 0},
	}
}

// --- output -----------------------------------------------------------------

const (
	lvlInfo = iota + 1
	lvlWarn
	lvlErr
	lvlOK
)

func (m *Manager) printf(format string, a ...any) {
	fmt.Fprintf(m.out, format, a...)
	m.out.Flush()
}

func (m *Manager) log(level int, format string, a ...any) {
	if m.opts.Color {
		switch level {
		case lvlInfo:
			m.out.WriteString("\033[29;1m")
		case lvlWarn:
			m.out.WriteString("\033[33;1m")
		case lvlErr:
			m.out.WriteString("\033[31;1m")
		case lvlOK:
			m.out.WriteString("\033[32;1m")
		}
	}
	fmt.Fprintf(m.out, format, a...)
	if m.opts.Color {
		m.out.WriteString("\033[0m")
	}
	m.out.Flush()
}

func (m *Manager) logInfo(f string, a ...any) { m.log(lvlInfo, f, a...) }
func (m *Manager) logWarn(f string, a ...any) { m.log(lvlWarn, f, a...) }
func (m *Manager) logErr(f string, a ...any)  { m.log(lvlErr, f, a...) }
func (m *Manager) logOK(f string, a ...any)   { m.log(lvlOK, f, a...) }

func (m *Manager) stderr(f string, a ...any) {
	m.out.Flush()
	fmt.Fprintf(m.opts.Stderr, f, a...)
}

func (m *Manager) printReplyError(n *node, err string) {
	m.logErr("Node %s:%d replied with error:\n%s\n", n.ip, n.port, err)
}

func (m *Manager) onError(err string) {
	m.errors = append(m.errors, err)
	m.logErr("%s\n", err)
}

// ConnErrText renders a dial error as hiredis does (strerror text).
func ConnErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return s
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return "Name or service not known"
		}
		return "Temporary failure in name resolution"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "Connection timed out"
	}
	return err.Error()
}

// --- talking to nodes --------------------------------------------------------

func addrOf(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// connect is clusterManagerNodeConnect.
func (m *Manager) connect(n *node) bool {
	if n.conn != nil {
		n.conn.Close()
		n.conn = nil
	}
	c, err := client.DialTLS(addrOf(n.ip, n.port), 10*time.Second, m.opts.TLS)
	if err != nil {
		m.stderr("Could not connect to Redis at %s:%d: %s\n", n.ip, n.port, ConnErrText(err))
		return false
	}
	n.conn = c
	if m.opts.AuthSet {
		var v client.Value
		var err error
		if m.opts.User == "" {
			v, err = c.Do("AUTH", m.opts.Password)
		} else {
			v, err = c.Do("AUTH", m.opts.User, m.opts.Password)
		}
		if !m.checkReply(n, v, err, nil) {
			return false
		}
	}
	return true
}

// cmd runs one command on n; ok is false on an I/O error (redis-cli's NULL
// reply).
func (m *Manager) cmd(n *node, args ...string) (client.Value, error) {
	if n.conn == nil {
		return client.Value{}, errors.New("not connected")
	}
	return n.conn.Do(args...)
}

// checkReply is clusterManagerCheckRedisReply: false on an I/O error or an
// error reply; the error text goes to *errp, or is printed when errp is nil.
func (m *Manager) checkReply(n *node, v client.Value, err error, errp *string) bool {
	if err != nil {
		return false
	}
	if v.IsError() {
		if errp != nil {
			*errp = string(v.Str)
		} else {
			m.printReplyError(n, string(v.Str))
		}
		return false
	}
	return true
}

func (m *Manager) nodeByName(name string) *node {
	lc := strings.ToLower(name)
	for _, n := range m.nodes {
		if n.name != "" && n.name == lc {
			return n
		}
	}
	return nil
}

func (m *Manager) nodeByAbbreviatedName(name string) *node {
	lc := strings.ToLower(name)
	for _, n := range m.nodes {
		if n.name != "" && strings.HasPrefix(n.name, lc) {
			return n
		}
	}
	return nil
}

func cNum(s string) string {
	s = strings.TrimLeft(s, " \t")
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func atoi(s string) int { n, _ := strconv.Atoi(cNum(s)); return n }

func (m *Manager) nodeInfoReply(n *node, errp *string) (string, bool) {
	v, err := m.cmd(n, "INFO")
	if err != nil {
		return "", false
	}
	if v.IsError() {
		if errp != nil {
			*errp = string(v.Str)
		}
		return "", false
	}
	return string(v.Str), true
}

func (m *Manager) isCluster(n *node, errp *string) bool {
	info, ok := m.nodeInfoReply(n, errp)
	if !ok {
		return false
	}
	v, ok := client.InfoInt(info, "cluster_enabled")
	return ok && v != 0
}

func (m *Manager) isEmpty(n *node, errp *string) bool {
	info, ok := m.nodeInfoReply(n, errp)
	if !ok {
		return false
	}
	if strings.Contains(info, "db0:") {
		return false
	}
	v, err := m.cmd(n, "CLUSTER", "INFO")
	if !m.checkReply(n, v, err, errp) {
		return false
	}
	known, _ := client.InfoInt(string(v.Str), "cluster_known_nodes")
	return known == 1
}

// parseNodeAddr is parseClusterNodeAddress: ip:port[@busport].
func parseNodeAddr(addr string) (ip string, port, bus int, ok bool) {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		bus = atoi(addr[at+1:])
		addr = addr[:at]
	}
	c := strings.LastIndexByte(addr, ':')
	if c < 0 {
		return "", 0, 0, false
	}
	return addr[:c], atoi(addr[c+1:]), bus, true
}

// hostFromArgs is getClusterHostFromCmdArgs.
func hostFromArgs(args []string) (string, int, bool) {
	var ip string
	var port int
	if len(args) == 1 {
		var ok bool
		ip, port, _, ok = parseNodeAddr(args[0])
		if !ok {
			return "", 0, false
		}
	} else {
		ip, port = args[0], atoi(args[1])
	}
	if port == 0 {
		return "", 0, false
	}
	return ip, port, true
}

const invalidHostArg = "[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) or space separated IP and port (ie. 120.0.0.1 7000)\n"

// loadNodeInfo is clusterManagerNodeLoadInfo: parse CLUSTER NODES from n.
func (m *Manager) loadNodeInfo(n *node, getFriends bool, errp *string) bool {
	v, err := m.cmd(n, "CLUSTER", "NODES")
	if !m.checkReply(n, v, err, errp) {
		return false
	}
	text := string(v.Str)
	for {
		nl := strings.IndexByte(text, '\n')
		if nl < 0 {
			break
		}
		line := text[:nl]
		text = text[nl+1:]
		var tok [8]string
		i := 0
		for i < 8 {
			sp := strings.IndexByte(line, ' ')
			if sp < 0 {
				break
			}
			tok[i] = line[:sp]
			line = line[sp+1:]
			i++
		}
		if i < 3 {
			return false
		}
		name, addr, flags, masterID := tok[0], tok[1], tok[2], tok[3]
		ip, port, bus, ok := parseNodeAddr(addr)
		if !ok {
			m.stderr("Error: invalid CLUSTER NODES reply\n")
			return false
		}
		myself := strings.Contains(flags, "myself")
		var cur *node
		if myself {
			n.busPort = bus
			n.flags |= flagMyself
			cur = n
			n.resetSlots()
			n.migrating, n.importing = nil, nil
			if i == 8 {
				for _, def := range strings.Split(line, " ") {
					if def == "" {
						continue
					}
					if def[0] == '[' {
						d := def[1:]
						if p := strings.Index(d, "->-"); p >= 0 {
							n.migrating = append(n.migrating, [2]string{d[:p], strings.TrimSuffix(d[p+3:], "]")})
						} else if p := strings.Index(d, "-<-"); p >= 0 {
							n.importing = append(n.importing, [2]string{d[:p], strings.TrimSuffix(d[p+3:], "]")})
						}
					} else if dash := strings.IndexByte(def, '-'); dash >= 0 {
						lo, hi := atoi(def[:dash]), atoi(def[dash+1:])
						n.slotsCount += hi - lo + 1
						for s := lo; s <= hi && s < Slots; s++ {
							if s >= 0 {
								n.slots[s] = true
							}
						}
					} else {
						s := atoi(def)
						if s >= 0 && s < Slots {
							n.slots[s] = true
						}
						n.slotsCount++
					}
				}
			}
			n.dirty = false
		} else if !getFriends {
			if n.flags&flagMyself == 0 {
				continue
			}
			break
		} else {
			cur = newNode(ip, port, bus)
			cur.flags |= flagFriend
			n.friends = append(n.friends, cur)
		}
		if name != "" {
			cur.name = name
		}
		cur.flagsStr = nil
		for _, f := range strings.Split(flags, ",") {
			if f == "" {
				continue
			}
			switch f {
			case "noaddr":
				cur.flags |= flagNoAddr
			case "disconnected":
				cur.flags |= flagDisconnect
			case "fail":
				cur.flags |= flagFail
			case "slave":
				cur.flags |= flagSlave
				if i > 3 {
					cur.replicate = masterID
				}
			}
			cur.flagsStr = append(cur.flagsStr, f)
		}
		if i > 6 {
			cur.currentEpoch, _ = strconv.ParseUint(cNum(tok[6]), 10, 64)
		}
		if !getFriends && myself {
			break
		}
	}
	return true
}

// loadFromNode is clusterManagerLoadInfoFromNode: the entry node then every
// reachable friend, in the entry node's CLUSTER NODES order.
func (m *Manager) loadFromNode(n *node) bool {
	if n.conn == nil && !m.connect(n) {
		return false
	}
	var e string
	if !m.isCluster(n, &e) {
		m.printNotClusterNodeError(n, e)
		return false
	}
	e = ""
	if !m.loadNodeInfo(n, true, &e) {
		if e != "" {
			m.printReplyError(n, e)
		}
		return false
	}
	for _, old := range m.nodes {
		if old != n && old.conn != nil {
			old.conn.Close()
		}
	}
	m.nodes = []*node{n}
	for _, f := range n.friends {
		valid := f.ip != "" && f.port != 0
		if valid && f.conn == nil {
			valid = m.connect(f)
		}
		if valid {
			var e string
			if m.loadNodeInfo(f, false, &e) {
				if f.flags&(flagNoAddr|flagDisconnect|flagFail) != 0 {
					valid = false
				} else {
					m.nodes = append(m.nodes, f)
				}
			} else {
				m.logErr("[ERR] Unable to load info for node %s:%d\n", f.ip, f.port)
				valid = false
			}
		}
		if !valid {
			if f.flags&flagSlave == 0 {
				m.unreachableMasters++
			}
			if f.conn != nil {
				f.conn.Close()
				f.conn = nil
			}
		}
	}
	n.friends = nil
	for _, x := range m.nodes {
		if x.replicate != "" {
			if master := m.nodeByName(x.replicate); master == nil {
				m.logWarn("*** WARNING: %s:%d claims to be slave of unknown node ID %s.\n", x.ip, x.port, x.replicate)
			} else {
				master.replicasCount++
			}
		}
	}
	return true
}

func (m *Manager) printNotClusterNodeError(n *node, e string) {
	if e == "" {
		e = "is not configured as a cluster node."
	}
	m.logErr("[ERR] Node %s:%d %s\n", n.ip, n.port, e)
}

func (m *Manager) printNotEmptyNodeError(n *node, e string) {
	if e == "" {
		e = "is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0."
	}
	m.logErr("[ERR] Node %s:%d %s\n", n.ip, n.port, e)
}

// --- rendering ---------------------------------------------------------------

func (n *node) flagString() string {
	var out []string
	for _, f := range n.flagsStr {
		if f != "myself" {
			out = append(out, f)
		}
	}
	return strings.Join(out, ",")
}

func slotsString(slots *[Slots]bool) string {
	var b strings.Builder
	first, last := -1, -1
	for i := 0; i < Slots; i++ {
		if slots[i] {
			if first == -1 {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				first = i
				b.WriteString("[" + strconv.Itoa(i))
			}
			last = i
		} else {
			if last >= 0 {
				if first == last {
					b.WriteString("]")
				} else {
					b.WriteString("-" + strconv.Itoa(last) + "]")
				}
			}
			first, last = -1, -1
		}
	}
	if last >= 0 {
		if first == last {
			b.WriteString("]")
		} else {
			b.WriteString("-" + strconv.Itoa(last) + "]")
		}
	}
	return b.String()
}

// nodeInfo is clusterManagerNodeInfo.
func (n *node) info(indent int) string {
	spaces := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(spaces)
	role := "M"
	if n.isSlave() {
		role = "S"
	}
	if n.dirty && n.replicate != "" {
		fmt.Fprintf(&b, "S: %s %s:%d", n.name, n.ip, n.port)
	} else {
		fmt.Fprintf(&b, "%s: %s %s:%d\n%s   slots:%s (%d slots) %s", role, n.name, n.ip, n.port, spaces,
			slotsString(&n.slots), n.slotsCount, n.flagString())
	}
	if n.replicate != "" {
		fmt.Fprintf(&b, "\n%s   replicates %s", spaces, n.replicate)
	} else if n.replicasCount > 0 {
		fmt.Fprintf(&b, "\n%s   %d additional replica(s)", spaces, n.replicasCount)
	}
	return b.String()
}

func (m *Manager) showNodes() {
	for _, n := range m.nodes {
		m.printf("%s\n", n.info(0))
	}
}

// showClusterInfo is clusterManagerShowClusterInfo.
func (m *Manager) showClusterInfo() {
	masters, keys := 0, 0
	for _, n := range m.nodes {
		if n.isSlave() || n.name == "" {
			continue
		}
		replicas := 0
		for _, r := range m.nodes {
			if r == n || !r.isSlave() {
				continue
			}
			if r.replicate == n.name {
				replicas++
			}
		}
		v, err := m.cmd(n, "DBSIZE")
		if err != nil || v.Kind != resp.KindInt {
			e := ""
			if err == nil && v.IsError() {
				e = string(v.Str)
			}
			m.printReplyError(n, e)
			return
		}
		dbsize := int(v.Int)
		short := n.name
		if len(short) > 8 {
			short = short[:8]
		}
		m.printf("%s:%d (%s...) -> %d keys | %d slots | %d slaves.\n", n.ip, n.port, short, dbsize, n.slotsCount, replicas)
		masters++
		keys += dbsize
	}
	m.logOK("[OK] %d keys in %d masters.\n", keys, masters)
	m.printf("%.2f keys per slot on average.\n", float32(keys)/float32(Slots))
}

// configSignature is clusterManagerGetConfigSignature.
func (m *Manager) configSignature(n *node) (string, bool) {
	v, err := m.cmd(n, "CLUSTER", "NODES")
	if err != nil || v.IsError() {
		return "", false
	}
	return signature(string(v.Str))
}

// signature is the slots part of a CLUSTER NODES text in a canonical form
// ("id:0-5460,...|id2:..." sorted), empty when no node has slots.
func signature(nodes string) (string, bool) {
	var cfgs []string
	for _, line := range strings.Split(nodes, "\n") {
		parts := strings.SplitN(line, " ", 9)
		if len(parts) < 9 || parts[8] == "" {
			continue
		}
		var slots []string
		for _, s := range strings.Split(parts[8], " ") {
			if s != "" && s[0] != '[' {
				slots = append(slots, s)
			}
		}
		if len(slots) == 0 {
			continue
		}
		sort.Strings(slots)
		cfgs = append(cfgs, parts[0]+":"+strings.Join(slots, ","))
	}
	if len(cfgs) == 0 {
		return "", false
	}
	sort.Strings(cfgs)
	return strings.Join(cfgs, "|"), true
}

func (m *Manager) isConfigConsistent() bool {
	if len(m.nodes) <= 1 {
		return len(m.nodes) == 1
	}
	first := ""
	for i, n := range m.nodes {
		cfg, ok := m.configSignature(n)
		if !ok {
			return false
		}
		if i == 0 {
			first = cfg
		} else if cfg != first {
			return false
		}
	}
	return true
}

// linkStatus is clusterManagerGetLinkStatus: unreachable node address →
// the nodes that cannot reach it.
func (m *Manager) linkStatus() ([]string, map[string][]string) {
	status := map[string][]string{}
	var order []string
	for _, n := range m.nodes {
		v, err := m.cmd(n, "CLUSTER", "NODES")
		if !m.checkReply(n, v, err, nil) {
			continue
		}
		for _, line := range strings.Split(string(v.Str), "\n") {
			f := strings.Split(line, " ")
			if len(f) < 8 {
				continue
			}
			flags, link := f[2], f[7]
			if strings.Contains(flags, "myself") {
				continue
			}
			if strings.Contains(flags, "disconnected") || strings.Contains(link, "disconnected") || strings.Contains(flags, "handshake") {
				if _, ok := status[f[1]]; !ok {
					order = append(order, f[1])
				}
				status[f[1]] = append(status[f[1]], fmt.Sprintf("%s:%d", n.ip, n.port))
			}
		}
	}
	return order, status
}

// waitForClusterJoin is clusterManagerWaitForClusterJoin.
func (m *Manager) waitForClusterJoin() {
	m.printf("Waiting for the cluster to join\n")
	counter := 0
	checkAfter := 20 + int(float32(len(m.nodes))*0.15)
	for !m.isConfigConsistent() {
		m.printf(".")
		time.Sleep(time.Second)
		counter++
		if counter > checkAfter {
			order, status := m.linkStatus()
			if len(status) > 0 {
				m.printf("\n")
				m.logErr("Warning: %d node(s) may be unreachable\n", len(status))
				for _, addr := range order {
					ip, _, bus, ok := parseNodeAddr(addr)
					if ok && bus != 0 {
						m.logErr(" - The port %d of node %s may be unreachable from:\n", bus, ip)
					} else {
						m.logErr(" - Node %s may be unreachable from:\n", addr)
					}
					for _, from := range status[addr] {
						m.logErr("   %s\n", from)
					}
					m.logErr("Cluster bus ports must be reachable by every node.\nRemember that cluster bus ports are different from standard instance ports.\n")
				}
			}
			counter = 0
		}
	}
	m.printf("\n")
}

// confirm is confirmWithYes: --cluster-yes answers unless ignoreForce.
func (m *Manager) confirm(msg string, ignoreForce bool) bool {
	if !ignoreForce && m.opts.Yes {
		return true
	}
	m.printf("%s (type 'yes' to accept): ", msg)
	return m.readAnswer(4) == "yes"
}

// readAnswer reads like read(0, buf, n) followed by buf[n-1] = 0: at most
// n-1 meaningful bytes of what is available.
func (m *Manager) readAnswer(n int) string {
	line, err := m.stdin.ReadString('\n')
	if err != nil && line == "" {
		return ""
	}
	if len(line) > n-1 {
		line = line[:n-1]
	}
	return strings.TrimRight(line, "\n")
}

// readLine reads one line for the interactive questions (without '\n');
// ok is false at end of input.
func (m *Manager) readLine() (string, bool) {
	line, err := m.stdin.ReadString('\n')
	if err != nil && line == "" {
		return "", false
	}
	return strings.TrimSuffix(line, "\n"), true
}
