package durability

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// streamGroupScript drives every consumer-group effect Redis 7.0
// propagates in a rewritten form: XREADGROUP deliveries as XCLAIM … FORCE
// JUSTID LASTID (several wrapped in MULTI/EXEC), NOACK reads as XGROUP
// SETID … ENTRIESREAD and XGROUP CREATECONSUMER, history reads and
// XAUTOCLAIM/XCLAIM as XCLAIMs (a deleted entry's too), XCLAIM LASTID
// alone as XGROUP SETID, and the commands that go verbatim.
var streamGroupScript = [][]string{
	{"XADD", "s", "1-1", "a", "1"},
	{"XADD", "s", "2-1", "b", "2"},
	{"XADD", "s", "3-1", "c", "3"},
	{"XADD", "s", "4-1", "d", "4"},
	{"XGROUP", "CREATE", "s", "g", "0"},
	{"XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "2"},
	{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"},
	{"XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"},
	{"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"},
	{"XREADGROUP", "GROUP", "g", "carol", "NOACK", "STREAMS", "s", ">"},
	{"XREADGROUP", "GROUP", "g", "dave", "NOACK", "STREAMS", "s", ">"},
	{"XACK", "s", "g", "1-1", "9-9"},
	{"XACK", "s", "g", "9-9"},
	{"XCLAIM", "s", "g", "erin", "0", "2-1", "TIME", "1700000000000", "RETRYCOUNT", "3"},
	{"XCLAIM", "s", "g", "erin", "0", "LASTID", "50-0"},
	{"XCLAIM", "s", "g", "erin", "999999999", "3-1"},
	{"XDEL", "s", "3-1"},
	{"XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "10"},
	{"XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"},
	{"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"},
	{"XGROUP", "CREATECONSUMER", "s", "g", "gina"},
	{"XGROUP", "DELCONSUMER", "s", "g", "gina"},
	{"XGROUP", "DESTROY", "s", "h"},
	{"XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"},
	{"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "t", ">"},
	{"MULTI"},
	{"XADD", "t", "1-1", "x", "y"},
	{"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "t", ">"},
	{"EXEC"},
}

// deliveryTime masks the times a propagated XCLAIM carries (the delivery
// time is the server's clock).
var deliveryTime = regexp.MustCompile(`TIME\r\n\$\d+\r\n\d+\r\n`)

func incrAOF(t *testing.T, n *testutil.Node) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(n.Dir, "appendonlydir", "*.incr.aof"))
	if len(files) != 1 {
		t.Fatalf("incr files: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return deliveryTime.ReplaceAllString(string(b), "TIME *\r\n")
}

// TestStreamGroupPropagation: the AOF Shoal writes for consumer-group
// commands is redis-server 7.0's, byte for byte (delivery times masked).
func TestStreamGroupPropagation(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	var aofs []string
	for _, start := range []func(testing.TB, ...string) *testutil.Node{testutil.StartRedis, testutil.StartShoal} {
		n := start(t, "--appendonly", "yes", "--appendfsync", "always")
		c := n.Dial(t)
		for _, cmd := range streamGroupScript {
			do(t, c, cmd...)
		}
		c.Close()
		aofs = append(aofs, incrAOF(t, n))
	}
	if aofs[0] != aofs[1] {
		t.Fatalf("AOF differs\nredis: %q\nshoal: %q", aofs[0], aofs[1])
	}
	if !strings.Contains(aofs[1], "LASTID") || !strings.Contains(aofs[1], "CREATECONSUMER") {
		t.Fatalf("script did not exercise the rewrites: %q", aofs[1])
	}
}
