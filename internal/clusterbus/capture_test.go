//go:build capture

package clusterbus

// TestCapture records real Redis 7.0 cluster bus frames into
// testdata/captures. Run it through testdata/capture.sh.
//
// Four redis-server nodes (A, B, C, D) announce a cluster bus port
// (cluster-announce-bus-port) on which a recording proxy listens and
// forwards to the real bus port, so every bus connection, in both
// directions, passes through the proxy. Only ReadFrame and the raw type
// field are used to pick frames, so the decoder under test does not choose
// its own golden data.

import (
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/slot"
)

var captureOut = flag.String("capture.out", "testdata/captures", "directory for captured frames")

const (
	capHostname = "node-c.shoal.test"
	capAnnIP    = "127.0.0.1"
)

// Ports: node i has client port nodePort[i] and bus port nodePort[i]+10000;
// its proxy listens on proxyPort[i] (the bus port of a spare client port).
var nodePort, proxyPort [4]int

// frameRec is one frame seen by a proxy.
type frameRec struct {
	to    int // index of the node whose bus port the link goes to
	reply bool
	frame []byte
}

type recorder struct {
	mu     sync.Mutex
	frames []frameRec
}

func (r *recorder) add(f frameRec) {
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.mu.Unlock()
}

// mark returns the number of frames so far; frames after it belong to the
// next phase.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

func (r *recorder) since(i int) []frameRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]frameRec(nil), r.frames[i:]...)
}

func proxy(t *testing.T, rec *recorder, idx int, stop chan struct{}) {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", proxyPort[idx]))
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-stop; l.Close() }()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", nodePort[idx]+10000))
			if err != nil {
				c.Close()
				continue
			}
			go pipeFrames(rec, idx, false, c, u, stop)
			go pipeFrames(rec, idx, true, u, c, stop)
		}
	}()
}

func pipeFrames(rec *recorder, idx int, reply bool, src, dst net.Conn, stop chan struct{}) {
	defer src.Close()
	defer dst.Close()
	go func() { <-stop; src.Close() }()
	var buf []byte
	for {
		f, err := ReadFrame(src, buf)
		if err != nil {
			return
		}
		rec.add(frameRec{to: idx, reply: reply, frame: append([]byte(nil), f...)})
		if _, err := dst.Write(f); err != nil {
			return
		}
		buf = f[:0]
	}
}

func rawType(f []byte) Type     { return Type(be.Uint16(f[offType:])) }
func rawSender(f []byte) string { return string(f[offSender : offSender+NameLen]) }
func rawCount(f []byte) uint16  { return be.Uint16(f[offCount:]) }
func rawMFlags0(f []byte) byte  { return f[offMFlags] }
func rawSlaveOf(f []byte) string {
	return strings.TrimRight(string(f[offSlaveOf:offSlaveOf+NameLen]), "\x00")
}

type capNode struct {
	*redisNode
	name   string
	slots  string // "a-b" assigned, "" for none
	facts  map[string]string
	annBus int
}

func TestCapture(t *testing.T) {
	rec := &recorder{}
	stop := make(chan struct{})
	defer close(stop)
	ports := pickPorts(t, 8)
	for i := range 4 {
		nodePort[i], proxyPort[i] = ports[i], ports[4+i]+10000
	}
	for i := range 4 {
		proxy(t, rec, i, stop)
	}
	names := []string{"A", "B", "C", "D"}
	slotsOf := []string{"0-5460", "5461-10922", "10923-16383", ""}
	nodes := make([]*capNode, 4)
	for i := range nodes {
		extra := []string{
			"--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
			"--cluster-announce-bus-port", strconv.Itoa(proxyPort[i]),
		}
		switch names[i] {
		case "B":
			extra = append(extra, "--cluster-announce-ip", capAnnIP)
		case "C":
			extra = append(extra, "--cluster-announce-hostname", capHostname)
		}
		rn := startClusterRedis(t, nodePort[i], extra...)
		nodes[i] = &capNode{redisNode: rn, name: names[i], slots: slotsOf[i], annBus: proxyPort[i]}
		if s := slotsOf[i]; s != "" {
			a, b, _ := strings.Cut(s, "-")
			rn.mustCLI("CLUSTER", "ADDSLOTSRANGE", a, b)
		}
	}
	A, B, C, D := nodes[0], nodes[1], nodes[2], nodes[3]
	byID := map[string]*capNode{}
	for _, n := range nodes {
		byID[n.id] = n
	}

	saved := map[string]bool{}
	save := func(name, scenario string, f frameRec, extra map[string]string) {
		t.Helper()
		if saved[name] {
			return
		}
		saved[name] = true
		sender := byID[rawSender(f.frame)]
		var sb strings.Builder
		fmt.Fprintf(&sb, "# Captured from redis-server 7.0.15 by testdata/capture.sh; do not edit.\n")
		fmt.Fprintf(&sb, "# scenario: %s\n", scenario)
		fmt.Fprintf(&sb, "# type: %s\n", rawType(f.frame))
		fmt.Fprintf(&sb, "# link: %s bus port (%s)\n", nodes[f.to].name, map[bool]string{false: "request", true: "reply"}[f.reply])
		if sender != nil && sender.name == "B" {
			extra["myip"] = capAnnIP // B announces its IP in every header
		}
		if sender != nil {
			fmt.Fprintf(&sb, "# sender: %s\n# sender-name: %s\n# port: %d\n# cport: %d\n",
				sender.id, sender.name, sender.port, sender.annBus)
		}
		keys := []string{"slots", "slaveof", "myip", "hostname", "count", "fail-node", "update-node", "update-slots", "channel", "message", "mflags0"}
		for _, k := range keys {
			if v, ok := extra[k]; ok {
				fmt.Fprintf(&sb, "# %s: %s\n", k, v)
			}
		}
		h := hex.EncodeToString(f.frame)
		for len(h) > 0 {
			n := min(len(h), 128)
			sb.WriteString(h[:n] + "\n")
			h = h[n:]
		}
		os.MkdirAll(*captureOut, 0o755)
		if err := os.WriteFile(filepath.Join(*captureOut, name+".hex"), []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved %s (%s, %d bytes)", name, rawType(f.frame), len(f.frame))
	}
	senderFacts := func(n *capNode, f []byte) map[string]string {
		m := map[string]string{"count": strconv.Itoa(int(rawCount(f))), "mflags0": strconv.Itoa(int(rawMFlags0(f)))}
		m["slots"] = n.slots
		if n == B {
			m["myip"] = capAnnIP
		}
		if n == C {
			m["hostname"] = capHostname
		}
		return m
	}

	// Phase 1: handshake. A meets B; then C and D join through A.
	p := rec.mark()
	A.mustCLI("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(B.port), strconv.Itoa(B.annBus))
	checkFor(t, 10*time.Second, "MEET from A and PONG from B", func() bool {
		var meet, pong bool
		for _, f := range rec.since(p) {
			meet = meet || rawType(f.frame) == TypeMeet && rawSender(f.frame) == A.id
			pong = pong || rawType(f.frame) == TypePong && rawSender(f.frame) == B.id
		}
		return meet && pong
	})
	for _, f := range rec.since(p) {
		switch s := byID[rawSender(f.frame)]; {
		case rawType(f.frame) == TypeMeet && s == A:
			save("meet", "CLUSTER MEET sent by A (slots 0-5460) to B", f, senderFacts(A, f.frame))
		case rawType(f.frame) == TypePong && s == B && f.reply:
			save("pong-handshake", "B's PONG answering A's MEET", f, senderFacts(B, f.frame))
		}
	}
	for _, n := range []*capNode{C, D} {
		A.mustCLI("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(n.port), strconv.Itoa(n.annBus))
	}
	checkFor(t, 20*time.Second, "4 known nodes everywhere", func() bool {
		for _, n := range nodes {
			if n.clusterInfo("cluster_known_nodes") != "4" {
				return false
			}
		}
		return true
	})
	D.mustCLI("CLUSTER", "REPLICATE", A.id)
	D.slots = A.slots // a replica advertises its master's slots
	checkFor(t, 20*time.Second, "cluster ok everywhere", func() bool {
		for _, n := range nodes {
			if n.clusterInfo("cluster_state") != "ok" {
				return false
			}
		}
		out, _ := B.cli("CLUSTER", "NODES")
		return strings.Contains(out, "slave "+A.id)
	})

	// Phase 2: steady state gossip.
	p = rec.mark()
	time.Sleep(2500 * time.Millisecond) // let a few ping rounds pass; bounded
	for _, f := range rec.since(p) {
		s := byID[rawSender(f.frame)]
		if s == nil || rawCount(f.frame) == 0 {
			continue
		}
		facts := senderFacts(s, f.frame)
		switch typ := rawType(f.frame); {
		case typ == TypePing && s == A:
			save("ping-master", "PING from master A with gossip, steady 4-node cluster", f, facts)
		case typ == TypePong && s == B:
			save("pong-announce-ip", "PONG from B, which sets cluster-announce-ip", f, facts)
		case typ == TypePing && s == C:
			save("ping-hostname", "PING from C, which sets cluster-announce-hostname (ping extension)", f, facts)
		case typ == TypePing && s == D && rawSlaveOf(f.frame) == A.id:
			facts["slaveof"] = A.id
			save("ping-replica", "PING from D, replica of A", f, facts)
		}
	}

	// Phase 3: Pub/Sub. PUBLISH goes to every node; SPUBLISH to the shard.
	ch := "news"
	sch := ""
	for i := 0; sch == ""; i++ {
		if c := "sh" + strconv.Itoa(i); slot.OfString(c) <= 5460 {
			sch = c
		}
	}
	p = rec.mark()
	A.mustCLI("PUBLISH", ch, "hello from A")
	A.mustCLI("SPUBLISH", sch, "shard hello")
	checkFor(t, 5*time.Second, "publish frames", func() bool {
		var pub, shard bool
		for _, f := range rec.since(p) {
			pub = pub || rawType(f.frame) == TypePublish
			shard = shard || rawType(f.frame) == TypePublishShard
		}
		return pub && shard
	})
	for _, f := range rec.since(p) {
		switch rawType(f.frame) {
		case TypePublish:
			save("publish", "PUBLISH news \"hello from A\" on A", f, map[string]string{"channel": ch, "message": "hello from A"})
		case TypePublishShard:
			save("publishshard", "SPUBLISH "+sch+" \"shard hello\" on A (replica D gets it)", f, map[string]string{"channel": sch, "message": "shard hello"})
		}
	}

	// Phase 4: manual failover: D sends MFSTART to A, then asks for votes.
	p = rec.mark()
	D.mustCLI("CLUSTER", "FAILOVER")
	checkFor(t, 20*time.Second, "D is master", func() bool {
		out, _ := D.cli("ROLE")
		return strings.HasPrefix(out, "master")
	})
	for _, f := range rec.since(p) {
		s := byID[rawSender(f.frame)]
		switch rawType(f.frame) {
		case TypeMFStart:
			save("mfstart", "CLUSTER FAILOVER on D: MFSTART to its master A", f, map[string]string{"slaveof": A.id})
		case TypeFailoverAuthRequest:
			save("auth-request-manual", "CLUSTER FAILOVER on D: vote request (FORCEACK)", f,
				map[string]string{"slaveof": A.id, "slots": A.slots, "mflags0": strconv.Itoa(int(rawMFlags0(f.frame)))})
		case TypeFailoverAuthAck:
			if s != nil {
				save("auth-ack", "vote for D from master "+s.name, f, map[string]string{"slots": s.slots})
			}
		}
	}
	A.slots, D.slots = "", "0-5460"

	// Phase 5: D (master now) stops; B and C mark it FAIL; A takes over.
	// D resumes with a stale config and is sent an UPDATE.
	checkFor(t, 20*time.Second, "A is D's replica", func() bool {
		out, _ := B.cli("CLUSTER", "NODES")
		return strings.Contains(out, "slave "+D.id)
	})
	p = rec.mark()
	D.signal(syscall.SIGSTOP)
	checkFor(t, 30*time.Second, "A is master again", func() bool {
		out, _ := A.cli("ROLE")
		return strings.HasPrefix(out, "master")
	})
	p2 := rec.mark()
	D.signal(syscall.SIGCONT)
	checkFor(t, 20*time.Second, "UPDATE seen", func() bool {
		for _, f := range rec.since(p2) {
			if rawType(f.frame) == TypeUpdate {
				return true
			}
		}
		return false
	})
	for _, f := range rec.since(p) {
		s := byID[rawSender(f.frame)]
		switch rawType(f.frame) {
		case TypeFail:
			save("fail", "D stopped (SIGSTOP) past cluster-node-timeout; FAIL about D", f, map[string]string{"fail-node": D.id})
		case TypeFailoverAuthRequest:
			save("auth-request", "A asks for votes after its master D failed", f,
				map[string]string{"slaveof": D.id, "slots": "0-5460", "mflags0": strconv.Itoa(int(rawMFlags0(f.frame)))})
		case TypeUpdate:
			if s != nil {
				save("update", "D resumed claiming 0-5460 with a stale epoch; "+s.name+" sends UPDATE", f,
					map[string]string{"update-node": A.id, "update-slots": "0-5460"})
			}
		}
	}
	for _, want := range []string{"meet", "pong-handshake", "ping-master", "pong-announce-ip", "ping-hostname",
		"ping-replica", "publish", "publishshard", "mfstart", "auth-request-manual", "auth-ack", "fail", "update"} {
		if !saved[want] {
			t.Errorf("no %s frame captured", want)
		}
	}
}
