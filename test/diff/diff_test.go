package diff

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

const (
	// replyWait bounds the wait for the reply to a command.
	replyWait = 5 * time.Second
	// readWait bounds @read, which may legitimately find nothing.
	readWait = 1 * time.Second
	// drainWait is how long the end-of-script drain listens for leftovers.
	drainWait = 100 * time.Millisecond
	// maxReported caps the differences printed per run.
	maxReported = 40
)

// bothRedis runs redis against redis, to validate the harness and scripts.
var bothRedis = os.Getenv("SHOAL_DIFF_BOTH_REDIS") != ""

// verbose logs every step with redis's reply (SHOAL_DIFF_VERBOSE=1, with
// go test -v), for writing scripts.
var verbose = os.Getenv("SHOAL_DIFF_VERBOSE") != ""

func TestDiff(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	if !bothRedis {
		testutil.BuildBinaries(t) // skips until cmd/shoal-server exists
	}
	files, err := filepath.Glob("testdata/*.txt")
	testutil.NoErr(t, err)
	f, err := os.Open("testdata/deliberate.txt")
	testutil.NoErr(t, err)
	deliberate, err := ParseDeliberate(f)
	f.Close()
	testutil.NoErr(t, err)

	var scripts []*Script
	for _, file := range files {
		if filepath.Base(file) == "deliberate.txt" {
			continue
		}
		f, err := os.Open(file)
		testutil.NoErr(t, err)
		s, err := ParseScript(filepath.Base(file), f)
		f.Close()
		testutil.NoErr(t, err)
		scripts = append(scripts, s)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts in testdata")
	}

	var compared, differed, accepted atomic.Int64
	var usedMu sync.Mutex
	used := map[string]bool{}
	t.Run("scripts", func(t *testing.T) {
		for _, s := range scripts {
			t.Run(strings.TrimSuffix(s.Name, ".txt"), func(t *testing.T) {
				t.Parallel()
				for _, proto := range s.Protos {
					t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
						r := newRun(t, s, proto, deliberate)
						r.exec()
						compared.Add(int64(r.compared))
						differed.Add(int64(r.differed))
						accepted.Add(int64(len(r.used)))
						usedMu.Lock()
						for k := range r.used {
							used[k] = true
						}
						usedMu.Unlock()
					})
				}
			})
		}
	})
	other := "shoal"
	if bothRedis {
		other = "redis (SHOAL_DIFF_BOTH_REDIS)"
	}
	t.Logf("redis vs %s: %d scripts, %d replies compared, %d unexpected differences, %d accepted as deliberate",
		other, len(scripts), compared.Load(), differed.Load(), accepted.Load())
	if !t.Failed() && !bothRedis && len(t.Name()) > 0 && !testing.Short() {
		var stale []string
		for k := range deliberate {
			if !used[k] {
				stale = append(stale, k)
			}
		}
		sort.Strings(stale)
		for _, k := range stale {
			t.Logf("deliberate.txt entry %s did not differ this run (stale, or script filtered out)", k)
		}
	}
}

// side is one server under test with its connections.
type side struct {
	name  string
	node  *testutil.Node
	conns map[int]*testutil.Conn
	dead  map[int]bool // saw EOF; reconnect before the next send
}

type run struct {
	t          *testing.T
	startB     func(testing.TB, ...string) *testutil.Node // the server under test
	nameB      string
	errorf     func(format string, args ...any) // t.Errorf; replaced in the harness's own tests
	script     *Script
	proto      int
	deliberate Deliberate
	sides      [2]*side
	client     int
	compared   int
	differed   int
	used       map[string]bool
}

func newRun(t *testing.T, s *Script, proto int, d Deliberate) *run {
	r := &run{t: t, script: s, proto: proto, deliberate: d, errorf: t.Errorf,
		startB: testutil.StartShoal, nameB: "shoal", used: map[string]bool{}}
	if bothRedis {
		r.startB, r.nameB = testutil.StartRedis, "redis2"
	}
	return r
}

func (r *run) exec() {
	t := r.t
	a := &side{name: "redis", node: testutil.StartRedis(t)}
	b := &side{name: r.nameB, node: r.startB(t)}
	r.sides = [2]*side{a, b}
	for _, s := range r.sides {
		s.conns, s.dead = map[int]*testutil.Conn{}, map[int]bool{}
	}
	defer func() {
		for _, s := range r.sides {
			for _, c := range s.conns {
				c.Close()
			}
		}
	}()

	r.step(Step{Line: 0, Text: "FLUSHALL (harness)", Op: OpCommand, Args: []string{"FLUSHALL"}})
	for _, st := range r.script.Steps {
		switch st.Op {
		case OpClient:
			r.client = st.Client
		case OpSleep:
			time.Sleep(st.Sleep)
		default:
			r.step(st)
		}
	}
	r.drain()
	t.Logf("%s RESP%d: %d replies compared", r.script.Name, r.proto, r.compared)
}

// conn returns the current client's connection on s, dialing (and, under
// RESP3, sending HELLO 3) on first use or after the server closed it.
func (r *run) conn(s *side) (*testutil.Conn, error) {
	if c := s.conns[r.client]; c != nil && !s.dead[r.client] {
		return c, nil
	}
	if c := s.conns[r.client]; c != nil {
		c.Close()
	}
	c, err := testutil.DialTimeout(s.node.Addr, replyWait)
	if err != nil {
		return nil, err
	}
	c.Timeout = replyWait
	s.conns[r.client], s.dead[r.client] = c, false
	if r.proto == 3 {
		v, err := c.Do("HELLO", "3")
		if err != nil {
			return nil, fmt.Errorf("HELLO 3: %v", err)
		}
		if v.IsError() || v.Kind != resp.KindMap {
			return nil, fmt.Errorf("HELLO 3 answered %s", v)
		}
	}
	return c, nil
}

// do performs one step on one side.
func (r *run) do(s *side, st Step) Outcome {
	c, err := r.conn(s)
	if err != nil {
		return Outcome{Fail: "connect: " + err.Error()}
	}
	wait := replyWait
	switch st.Op {
	case OpCommand:
		err = c.Send(st.Args...)
	case OpRaw:
		err = c.SendRaw(st.Raw)
	case OpRead:
		wait = readWait
	}
	if err != nil {
		return Outcome{Fail: "write: " + err.Error()}
	}
	if st.NoReply {
		return Outcome{}
	}
	return r.read(s, c, wait)
}

func (r *run) read(s *side, c *testutil.Conn, wait time.Duration) Outcome {
	v, raw, err := c.ReadWithin(wait)
	var ne net.Error
	switch {
	case err == nil:
		return Outcome{Raw: raw, Val: v}
	case errors.As(err, &ne) && ne.Timeout() && len(raw) == 0:
		if wait == replyWait {
			// A command went unanswered: whatever arrives later would be
			// taken for the next command's reply, so start afresh.
			s.dead[r.client] = true
		}
		return Outcome{Fail: "no reply"}
	case len(raw) == 0 && isClosed(err):
		s.dead[r.client] = true
		return Outcome{Fail: "connection closed"}
	default:
		s.dead[r.client] = true
		return Outcome{Raw: raw, Fail: fmt.Sprintf("bad reply after %q: %v", raw, err)}
	}
}

func isClosed(err error) bool {
	return errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) ||
		err.Error() == "EOF" || strings.Contains(err.Error(), "connection reset")
}

// step runs st on both sides and compares the outcomes.
func (r *run) step(st Step) {
	oa := r.do(r.sides[0], st)
	ob := r.do(r.sides[1], st)
	if verbose {
		r.t.Logf("%s:%d RESP%d client %d: %s\n\t-> %s", r.script.Name, st.Line, r.proto, r.client, st.Text, oa)
	}
	if st.Ignore || st.NoReply {
		return
	}
	r.compared++
	if Same(oa, ob, st.Unordered, st.Float) {
		return
	}
	r.report(st.Line, st.Text, oa, ob)
}

func (r *run) report(line int, text string, oa, ob Outcome) {
	if reason, key, ok := r.deliberate.Lookup(r.script.Name, line, r.proto); ok {
		r.used[key] = true
		r.t.Logf("deliberate difference %s:%d (%s): %s", r.script.Name, line, reason, text)
		return
	}
	r.differed++
	if r.differed > maxReported {
		if r.differed == maxReported+1 {
			r.errorf("more differences follow; not printing them")
		}
		return
	}
	r.errorf("%s:%d RESP%d client %d: %s\n\t%-6s %s\n\t%-6s %s",
		r.script.Name, line, r.proto, r.client, text,
		r.sides[0].name+":", oa, r.sides[1].name+":", ob)
}

// drain reads whatever is still pending on every connection and compares
// the leftovers, so a reply to a @noreply command, or an extra push, does
// not go unnoticed at the end of a script.
func (r *run) drain() {
	clients := map[int]bool{}
	for _, s := range r.sides {
		for n, c := range s.conns {
			if c != nil && !s.dead[n] {
				clients[n] = true
			}
		}
	}
	ids := make([]int, 0, len(clients))
	for n := range clients {
		ids = append(ids, n)
	}
	sort.Ints(ids)
	for _, n := range ids {
		r.client = n
		var left [2][]Outcome
		var wg sync.WaitGroup
		for i, s := range r.sides {
			c := s.conns[n]
			if c == nil || s.dead[n] {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					v, raw, err := c.ReadWithin(drainWait)
					if err != nil {
						if len(raw) > 0 {
							left[i] = append(left[i], Outcome{Raw: raw, Fail: err.Error()})
						}
						return
					}
					left[i] = append(left[i], Outcome{Raw: raw, Val: v})
				}
			}()
		}
		wg.Wait()
		for k := 0; k < max(len(left[0]), len(left[1])); k++ {
			var oa, ob Outcome
			oa.Fail, ob.Fail = "nothing", "nothing"
			if k < len(left[0]) {
				oa = left[0][k]
			}
			if k < len(left[1]) {
				ob = left[1][k]
			}
			r.compared++
			if !Same(oa, ob, false, false) {
				r.report(-1, fmt.Sprintf("(leftover reply #%d at end of script)", k+1), oa, ob)
			}
		}
	}
}
