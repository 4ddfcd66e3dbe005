package e2e

import (
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// rawDo sends one command on a raw connection and returns its raw reply.
func rawDo(t *testing.T, c *testutil.Conn, args ...string) string {
	t.Helper()
	if err := c.Send(args...); err != nil {
		t.Fatal(err)
	}
	_, raw, err := c.Read()
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return string(raw)
}

// pfaddMany adds elements prefix0…prefix(n-1) to key with pipelined PFADDs
// of 1000 elements, returning the replies joined.
func pfaddMany(t *testing.T, c *testutil.Conn, key, prefix string, n int) string {
	t.Helper()
	var buf []byte
	sent := 0
	for i := 0; i < n; i += 1000 {
		args := []string{"PFADD", key}
		for j := i; j < min(n, i+1000); j++ {
			args = append(args, prefix+strconv.Itoa(j))
		}
		buf = testutil.AppendCommand(buf, args...)
		sent++
	}
	if err := c.SendRaw(buf); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for ; sent > 0; sent-- {
		_, raw, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw...)
	}
	return string(out)
}

// TestHLLAgainstRedis builds the same HLLs on redis-server and shoal-server
// and compares their bytes and estimates, 1M elements included (skipped
// under -short), then moves each HLL string from one server to the other
// with GET/SET and checks that both keep answering alike.
func TestHLLAgainstRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	testutil.BuildBinaries(t)
	r := testutil.StartRedis(t).Dial(t)
	s := testutil.StartShoal(t).Dial(t)
	sizes := []int{1, 100, 1500, 2500, 5000, 100000}
	if !testing.Short() {
		sizes = append(sizes, 1000000)
	}
	for _, n := range sizes {
		key := "h" + strconv.Itoa(n)
		testutil.Equal(t, pfaddMany(t, s, key, "el:", n), pfaddMany(t, r, key, "el:", n))
		for _, cmd := range [][]string{{"PFDEBUG", "ENCODING", key}, {"PFCOUNT", key}, {"GET", key}, {"PFCOUNT", key, "h1", "h100"}} {
			testutil.Equal(t, rawDo(t, s, cmd...), rawDo(t, r, cmd...))
		}
		t.Logf("%d elements: PFCOUNT %s", n, rawDo(t, s, "PFCOUNT", key))
	}
	// Redis → Shoal and Shoal → Redis: the string carries the HLL as it is.
	for _, n := range sizes {
		key := "h" + strconv.Itoa(n)
		fromRedis := rawDo(t, r, "GET", key)
		v, err := r.Do("GET", key)
		testutil.NoErr(t, err)
		rawDo(t, s, "SET", "moved:"+key, string(v.Str))
		rawDo(t, r, "SET", "moved:"+key, string(v.Str))
		v2, err := s.Do("GET", key)
		testutil.NoErr(t, err)
		rawDo(t, r, "SET", "back:"+key, string(v2.Str))
		rawDo(t, s, "SET", "back:"+key, string(v2.Str))
		testutil.Equal(t, rawDo(t, s, "GET", "moved:"+key), fromRedis)
		for _, k := range []string{"moved:" + key, "back:" + key} {
			for _, cmd := range [][]string{{"PFCOUNT", k}, {"PFADD", k, "new1", "new2", "new3"}, {"PFCOUNT", k}, {"GET", k}, {"PFMERGE", k, "h1500"}, {"GET", k}} {
				testutil.Equal(t, rawDo(t, s, cmd...), rawDo(t, r, cmd...))
			}
		}
	}
}
