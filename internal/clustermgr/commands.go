package clustermgr

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/slot"
)

// FormatRaw is how call prints replies (redis-cli's cliFormatReplyRaw with
// "\n" between elements); internal/cli sets it to its own formatter.
var FormatRaw = func(v client.Value) string { return string(v.Str) }

func (m *Manager) addNode(args []string) bool {
	refIP, refPort, ok := hostFromArgs(args[1:])
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	ip, port, ok := hostFromArgs(args[:1])
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	m.logInfo(">>> Adding node %s:%d to cluster %s:%d\n", ip, port, refIP, refPort)
	ref := newNode(refIP, refPort, 0)
	if !m.loadFromNode(ref) {
		return false
	}
	if !m.checkCluster(false, false) {
		return false
	}
	var master *node
	if m.opts.Slave {
		if m.opts.MasterID != "" {
			master = m.nodeByName(m.opts.MasterID)
			if master == nil {
				m.logErr("[ERR] No such master ID %s\n", m.opts.MasterID)
				return false
			}
		} else {
			master = m.nodeWithLeastReplicas()
			m.printf("Automatically selected master %s:%d\n", master.ip, master.port)
		}
	}
	nn := newNode(ip, port, 0)
	if !m.connect(nn) {
		m.logErr("[ERR] Sorry, can't connect to node %s:%d\n", ip, port)
		return false
	}
	var e string
	if !m.isCluster(nn, &e) {
		m.printNotClusterNodeError(nn, e)
		nn.conn.Close()
		return false
	}
	if !m.loadNodeInfo(nn, false, &e) {
		if e != "" {
			m.printReplyError(nn, e)
		}
		nn.conn.Close()
		return false
	}
	if !m.isEmpty(nn, &e) {
		m.printNotEmptyNodeError(nn, e)
		nn.conn.Close()
		return false
	}
	first := m.nodes[0]
	m.nodes = append(m.nodes, nn)
	if master == nil {
		m.logInfo(">>> Getting functions from cluster\n")
		v, err := m.cmd(ref, "FUNCTION", "DUMP")
		e = ""
		if !m.checkReply(ref, v, err, &e) {
			if e == "" {
				e = "NULL reply"
			}
			m.logInfo(">>> Failed retrieving Functions from the cluster, skip this step as Redis version do not support function command (error = '%s')\n", e)
		} else {
			m.logInfo(">>> Send FUNCTION LIST to %s:%d to verify there is no functions in it\n", ip, port)
			fl, err := m.cmd(nn, "FUNCTION", "LIST")
			if !m.checkReply(nn, fl, err, &e) {
				if e == "" {
					e = "NULL reply"
				}
				m.logErr(">>> Failed on CLUSTER LIST (error = '%s')\r\n", e)
				return false
			}
			if len(fl.Elems) > 0 {
				m.logErr(">>> New node already contains functions and can not be added to the cluster. Use FUNCTION FLUSH and try again.\r\n")
				return false
			}
			m.logInfo(">>> Send FUNCTION RESTORE to %s:%d\n", ip, port)
			fr, err := nn.conn.DoBytes([][]byte{[]byte("FUNCTION"), []byte("RESTORE"), v.Str})
			if !m.checkReply(nn, fr, err, &e) {
				if e == "" {
					e = "NULL reply"
				}
				m.logErr(">>> Failed loading functions to the new node (error = '%s')\r\n", e)
				return false
			}
		}
	}
	m.logInfo(">>> Send CLUSTER MEET to node %s:%d to make it join the cluster.\n", ip, port)
	firstIP, ok := resolveIP(first.ip)
	if !ok {
		m.stderr("Invalid IP address or hostname specified: %s\n", first.ip)
		return false
	}
	var v client.Value
	var err error
	if first.busPort == 0 || first.busPort == first.port+portIncr {
		v, err = m.cmd(nn, "CLUSTER", "MEET", firstIP, strconv.Itoa(first.port))
	} else {
		v, err = m.cmd(nn, "CLUSTER", "MEET", firstIP, strconv.Itoa(first.port), strconv.Itoa(first.busPort))
	}
	if !m.checkReply(nn, v, err, nil) {
		return false
	}
	if master != nil {
		time.Sleep(time.Second)
		m.waitForClusterJoin()
		m.waitKnows(nn, master.name, 10*time.Second)
		m.logInfo(">>> Configure node as replica of %s:%d.\n", master.ip, master.port)
		v, err = m.cmd(nn, "CLUSTER", "REPLICATE", master.name)
		if !m.checkReply(nn, v, err, nil) {
			return false
		}
	}
	m.logOK("[OK] New node added correctly.\n")
	return true
}

func (m *Manager) nodeWithLeastReplicas() *node {
	var best *node
	for _, n := range m.nodes {
		if n.isSlave() {
			continue
		}
		if best == nil || n.replicasCount < best.replicasCount {
			best = n
		}
	}
	return best
}

func (m *Manager) delNode(args []string) bool {
	ip, port, ok := hostFromArgs(args[:1])
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	id := args[1]
	m.logInfo(">>> Removing node %s from cluster %s:%d\n", id, ip, port)
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	target := m.nodeByName(id)
	if target == nil {
		m.logErr("[ERR] No such node ID %s\n", id)
		return false
	}
	if target.slotsCount != 0 {
		m.logErr("[ERR] Node %s:%d is not empty! Reshard data away and try again.\n", target.ip, target.port)
		return false
	}
	m.logInfo(">>> Sending CLUSTER FORGET messages to the cluster...\n")
	for _, n := range m.nodes {
		if n == target {
			continue
		}
		if n.replicate != "" && strings.EqualFold(n.replicate, id) {
			master := m.nodeWithLeastReplicas()
			m.logInfo(">>> %s:%d as replica of %s:%d\n", n.ip, n.port, master.ip, master.port)
			v, err := m.cmd(n, "CLUSTER", "REPLICATE", master.name)
			if !m.checkReply(n, v, err, nil) {
				return false
			}
		}
		v, err := m.cmd(n, "CLUSTER", "FORGET", id)
		if !m.checkReply(n, v, err, nil) {
			return false
		}
	}
	m.logInfo(">>> Sending CLUSTER RESET SOFT to the deleted node.\n")
	v, err := m.cmd(target, "CLUSTER", "RESET", "SOFT")
	return m.checkReply(target, v, err, nil)
}

func (m *Manager) info(args []string) bool {
	ip, port, ok := hostFromArgs(args)
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	m.showClusterInfo()
	return true
}

func (m *Manager) check(args []string) bool {
	ip, port, ok := hostFromArgs(args)
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	m.showClusterInfo()
	ok = m.checkCluster(false, m.fixing)
	if m.opts.ReplicaLag && !m.fixing {
		m.checkReplicaLag()
	}
	return ok
}

func (m *Manager) fix(args []string) bool {
	m.fixing = true
	return m.check(args)
}

func (m *Manager) call(args []string) bool {
	ip, port, ok := hostFromArgs(args[:1])
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	cmd := args[1:]
	m.logInfo(">>> Calling")
	for _, a := range cmd {
		m.printf(" %s", a)
	}
	m.printf("\n")
	for _, n := range m.nodes {
		if m.opts.OnlyMasters && n.replicate != "" {
			continue
		}
		if m.opts.OnlyReplicas && n.replicate == "" {
			continue
		}
		if n.conn == nil && !m.connect(n) {
			continue
		}
		v, err := m.cmd(n, cmd...)
		if err != nil {
			m.printf("%s:%d: Failed!\n", n.ip, n.port)
			continue
		}
		m.printf("%s:%d: %s\n", n.ip, n.port, FormatRaw(v))
	}
	return true
}

func (m *Manager) setTimeout(args []string) bool {
	ip, port, ok := hostFromArgs(args[:1])
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	timeout := atoi(args[1])
	if timeout < 100 {
		m.stderr("Setting a node timeout of less than 100 milliseconds is a bad idea.\n")
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	okCount, errCount := 0, 0
	m.logInfo(">>> Reconfiguring node timeout in every cluster node...\n")
	for _, n := range m.nodes {
		var e string
		v, err := m.cmd(n, "CONFIG", "SET", "cluster-node-timeout", strconv.Itoa(timeout))
		good := m.checkReply(n, v, err, &e)
		if good {
			v, err = m.cmd(n, "CONFIG", "REWRITE")
			good = m.checkReply(n, v, err, &e)
		}
		if !good {
			m.logErr("ERR setting node-timeout for %s:%d: %s\n", n.ip, n.port, e)
			errCount++
			continue
		}
		m.logWarn("*** New timeout set for %s:%d\n", n.ip, n.port)
		okCount++
	}
	m.logInfo(">>> New node timeout set. %d OK, %d ERR.\n", okCount, errCount)
	return true
}

func (m *Manager) importCmd(args []string) bool {
	ip, port, ok := hostFromArgs(args)
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if m.opts.From == "" {
		m.stderr("[ERR] Option '--cluster-from' is required for subcommand 'import'.\n")
		return false
	}
	srcIP, srcPort, ok := hostFromArgs([]string{m.opts.From})
	if !ok {
		m.stderr("[ERR] Invalid --cluster-from host. You need to pass a valid address (ie. 120.0.0.1:7000).\n")
		return false
	}
	m.logInfo(">>> Importing data from %s:%d to cluster %s:%d\n", srcIP, srcPort, ip, port)
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	if !m.checkCluster(false, false) {
		return false
	}
	replyErr := ""
	defer func() {
		if replyErr != "" {
			m.logErr("Source %s:%d replied with error:\n%s\n", srcIP, srcPort, replyErr)
		}
	}()
	src, err := client.DialTLS(addrOf(srcIP, srcPort), 10*time.Second, m.opts.TLS)
	if err != nil {
		m.stderr("Could not connect to Redis at %s:%d: %s.\n", srcIP, srcPort, ConnErrText(err))
		return false
	}
	defer src.Close()
	if m.opts.FromPass != "" {
		if err := src.Auth(m.opts.FromUser, m.opts.FromPass); err != nil {
			m.stderr("AUTH failed: %s\n", err)
			return false
		}
	}
	v, err := src.Do("INFO")
	if err != nil || v.IsError() {
		if err == nil {
			replyErr = string(v.Str)
		}
		return false
	}
	if ce, _ := client.InfoInt(string(v.Str), "cluster_enabled"); ce != 0 {
		m.logErr("[ERR] The source node should not be a cluster node.\n")
		return false
	}
	v, err = src.Do("DBSIZE")
	if err != nil || v.IsError() {
		if err == nil {
			replyErr = string(v.Str)
		}
		return false
	}
	m.logWarn("*** Importing %d keys from DB 0\n", v.Int)
	var owners [Slots]*node
	for s := 0; s < Slots; s++ {
		for _, n := range m.nodes {
			if n.isSlave() || n.slotsCount == 0 {
				continue
			}
			if n.slots[s] {
				owners[s] = n
				break
			}
		}
	}
	cursor := "0"
	for {
		v, err = src.Do("SCAN", cursor, "COUNT", "1000")
		if err != nil || v.IsError() {
			if err == nil {
				replyErr = string(v.Str)
			}
			return false
		}
		if len(v.Elems) < 2 {
			return false
		}
		cursor = string(v.Elems[0].Str)
		for _, k := range v.Elems[1].Elems {
			t := owners[slot.Of(k.Str)]
			if t == nil {
				return false
			}
			m.printf("Migrating %s to %s:%d: ", k.Str, t.ip, t.port)
			args := [][]byte{[]byte("MIGRATE"), []byte(t.ip), []byte(strconv.Itoa(t.port)), k.Str, []byte("0"), []byte(strconv.Itoa(m.opts.Timeout))}
			if m.opts.AuthSet {
				if m.opts.User != "" {
					args = append(args, []byte("AUTH2"), []byte(m.opts.User), []byte(m.opts.Password))
				} else {
					args = append(args, []byte("AUTH"), []byte(m.opts.Password))
				}
			}
			if m.opts.Copy {
				args = append(args, []byte("COPY"))
			}
			if m.opts.Replace {
				args = append(args, []byte("REPLACE"))
			}
			r, err := src.DoBytes(args)
			if err != nil || r.IsError() {
				if err == nil {
					m.logErr("Source %s:%d replied with error:\n%s\n", srcIP, srcPort, r.Str)
				}
				return false
			}
			m.logOK("OK\n")
		}
		if cursor == "0" {
			return true
		}
	}
}

func (m *Manager) backup(args []string) bool {
	ip, port, ok := hostFromArgs(args[:1])
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	noIssues := m.checkCluster(false, false)
	errCount := 0
	if !noIssues {
		errCount = len(m.errors)
	}
	dir := args[1]
	var js strings.Builder
	js.WriteString("[\n")
	for i, n := range m.nodes {
		if i > 0 {
			js.WriteString(",\n")
		}
		js.WriteString(n.json(errCount))
		if n.replicate != "" {
			continue
		}
		m.logInfo(">>> Node %s:%d -> Saving RDB...\n", n.ip, n.port)
		name := dir
		if !strings.HasSuffix(name, "/") {
			name += "/"
		}
		name += fmt.Sprintf("redis-node-%s-%d-%s.rdb", n.ip, n.port, n.name)
		m.out.Flush()
		if code := GetRDB(n.conn, name, m.opts.Stdout, m.opts.Stderr); code != 0 {
			os.Exit(code)
		}
		n.conn = nil
	}
	js.WriteString("\n]")
	path := dir
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	path += "nodes.json"
	m.logInfo("Saving cluster configuration to: %s\n", path)
	if err := os.WriteFile(path, []byte(js.String()), 0o644); err != nil {
		m.logErr("Could not save nodes to: %s\n", path)
		m.logOK("[ERR] Failed to back cluster!\n")
		return false
	}
	if !noIssues {
		m.logWarn("*** Cluster seems to have some problems, please be aware of it if you're going to restore this backup.\n")
	}
	m.logOK("[OK] Backup created into: %s\n", dir)
	return true
}

// json is clusterManagerNodeGetJSON.
func (n *node) json(errCount int) string {
	repl := "null"
	if n.replicate != "" {
		repl = `"` + n.replicate + `"`
	}
	slots := strings.ReplaceAll(slotsString(&n.slots), "-", ",")
	var b strings.Builder
	fmt.Fprintf(&b, "  {\n    \"name\": \"%s\",\n    \"host\": \"%s\",\n    \"port\": %d,\n    \"replicate\": %s,\n"+
		"    \"slots\": [%s],\n    \"slots_count\": %d,\n    \"flags\": \"%s\",\n    \"current_epoch\": %d",
		n.name, n.ip, n.port, repl, slots, n.slotsCount, n.flagString(), n.currentEpoch)
	if errCount > 0 {
		fmt.Fprintf(&b, ",\n    \"cluster_errors\": %d", errCount)
	}
	pairs := func(key string, l [][2]string) {
		var parts []string
		for _, p := range l {
			parts = append(parts, fmt.Sprintf("\"%s\": \"%s\"", p[0], p[1]))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, ",\n    \"%s\": {%s}", key, strings.Join(parts, ","))
		}
	}
	pairs("migrating", n.migrating)
	pairs("importing", n.importing)
	b.WriteString("\n  }")
	return b.String()
}

// SendSync is redis-cli's sendSync: SYNC on c, then the payload's
// "$<length>" or "$EOF:<40-byte mark>" line. It returns the length, or the
// mark (length 0); on failure, redis-cli's message instead.
func SendSync(c *client.Conn) (uint64, []byte, string) {
	if _, err := c.NetConn().Write([]byte("SYNC\r\n")); err != nil {
		return 0, nil, "Error writing to master\n"
	}
	br := c.Reader()
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, nil, "Error reading bulk length while SYNCing\n"
		}
		if b == '\n' && len(line) > 0 {
			break
		}
		if b != '\n' {
			line = append(line, b)
		}
	}
	if line[0] == '-' {
		return 0, nil, "SYNC with master failed: " + string(line) + "\n"
	}
	const markSize = 40
	if bytes.HasPrefix(line[1:], []byte("EOF:")) && len(line[5:]) >= markSize {
		return 0, append([]byte(nil), line[5:5+markSize]...), ""
	}
	n, _ := strconv.ParseUint(cNum(string(line[1:])), 10, 64)
	return n, nil, ""
}

// GetRDB is redis-cli's getRDB: SYNC on c, then write the RDB payload to
// filename ("-" = stdout). It returns a non-zero exit code on failure
// (after printing why) and closes c.
func GetRDB(c *client.Conn, filename string, stdout, stderr io.Writer) int {
	defer c.Close()
	payload, mark, msg := SendSync(c)
	if msg != "" {
		fmt.Fprint(stderr, msg)
		return 1
	}
	const markSize = 40
	br := c.Reader()
	if mark != nil {
		fmt.Fprintf(stderr, "SYNC sent to master, writing bytes of bulk transfer until EOF marker to '%s'\n", filename)
	} else {
		fmt.Fprintf(stderr, "SYNC sent to master, writing %d bytes to '%s'\n", payload, filename)
	}
	var w io.Writer = stdout
	var f *os.File
	if filename != "-" {
		var err error
		f, err = os.OpenFile(filename, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "Error opening '%s': %s\n", filename, ConnErrText(err))
			return 1
		}
		defer f.Close()
		w = f
	}
	buf := make([]byte, 4096)
	var written uint64
	last := make([]byte, 0, markSize)
	for mark != nil || written < payload {
		n := len(buf)
		if mark == nil && payload-written < uint64(n) {
			n = int(payload - written)
		}
		nr, err := br.Read(buf[:n])
		if nr <= 0 && err != nil {
			fmt.Fprint(stderr, "I/O Error reading RDB payload from socket\n")
			return 1
		}
		if _, err := w.Write(buf[:nr]); err != nil {
			fmt.Fprintf(stderr, "Error writing data to file: %s\n", err)
			return 1
		}
		written += uint64(nr)
		if mark != nil {
			last = append(last, buf[:nr]...)
			if len(last) > markSize {
				last = last[len(last)-markSize:]
			}
			if bytes.Equal(last, mark) {
				break
			}
		}
	}
	if mark != nil {
		size := written - markSize
		if f != nil {
			f.Truncate(int64(size))
		}
		fmt.Fprintf(stderr, "Transfer finished with success after %d bytes\n", size)
	} else {
		fmt.Fprint(stderr, "Transfer finished with success.\n")
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			fmt.Fprintf(stderr, "Fail to fsync '%s': %s\n", filename, err)
			return 1
		}
	}
	return 0
}

func (m *Manager) help(args []string) bool {
	type def struct{ name, args, options string }
	defs := []def{
		{"create", "host1:port1 ... hostN:portN", "replicas <arg>"},
		{"check", "<host:port> or <host> <port> - separated by either colon or space", "search-multiple-owners"},
		{"info", "<host:port> or <host> <port> - separated by either colon or space", ""},
		{"fix", "<host:port> or <host> <port> - separated by either colon or space", "search-multiple-owners,fix-with-unreachable-masters"},
		{"reshard", "<host:port> or <host> <port> - separated by either colon or space", "from <arg>,to <arg>,slots <arg>,yes,timeout <arg>,pipeline <arg>,replace"},
		{"rebalance", "<host:port> or <host> <port> - separated by either colon or space", "weight <node1=w1...nodeN=wN>,use-empty-masters,timeout <arg>,simulate,pipeline <arg>,threshold <arg>,replace"},
		{"add-node", "new_host:new_port existing_host:existing_port", "slave,master-id <arg>"},
		{"del-node", "host:port node_id", ""},
		{"call", "host:port command arg arg .. arg", "only-masters,only-replicas"},
		{"set-timeout", "host:port milliseconds", ""},
		{"import", "host:port", "from <arg>,from-user <arg>,from-pass <arg>,from-askpass,copy,replace"},
		{"backup", "host:port backup_directory", ""},
		{"help", "", ""},
	}
	const pad = 15
	m.printf("Cluster Manager Commands:\n")
	for _, d := range defs {
		m.printf("  %s%s%s\n", d.name, strings.Repeat(" ", pad-len(d.name)), d.args)
		if d.options != "" {
			for _, o := range strings.Split(d.options, ",") {
				m.printf("%s  --cluster-%s\n", strings.Repeat(" ", pad), o)
			}
		}
	}
	m.printf("\nFor check, fix, reshard, del-node, set-timeout, info, rebalance, call, import, backup you can specify the host and port of any working node in the cluster.\n")
	m.printf("\nCluster Manager Options:\n")
	m.printf("  --cluster-yes%sAutomatic yes to cluster commands prompts\n", strings.Repeat(" ", pad-len("--cluster-yes")))
	m.printf("\n")
	return false
}

// waitKnows waits, silently and at most d, until node n has learned of the
// node named id by gossip. redis-cli sends CLUSTER REPLICATE one second after
// the MEET and fails with "ERR Unknown node" when gossip is slower than that;
// waiting for the fact itself prints the same output without the race.
func (m *Manager) waitKnows(n *node, id string, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		v, err := m.cmd(n, "CLUSTER", "NODES")
		if err == nil && strings.Contains(string(v.Str), id) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
