package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"SET a b", []string{"SET", "a", "b"}, false},
		{"  SET\t a   b  ", []string{"SET", "a", "b"}, false},
		{`SET "a b" 'c d'`, []string{"SET", "a b", "c d"}, false},
		{`SET k "\x00\xff\n\r\t\a\b\"\\\q"`, []string{"SET", "k", "\x00\xff\n\r\t\a\b\"\\q"}, false},
		{`SET k 'it\'s \n'`, []string{"SET", "k", `it's \n`}, false},
		{`SET k ""`, []string{"SET", "k", ""}, false},
		{`SET k ''`, []string{"SET", "k", ""}, false},
		{`a"b c"d`, nil, true},
		{`a"b c" d`, []string{"ab c", "d"}, false},
		{`SET "a`, nil, true},
		{`SET 'a`, nil, true},
		{`SET "\x4"`, []string{"SET", "x4"}, false},
	}
	for _, tc := range tests {
		got, err := SplitArgs(tc.in)
		if (err != nil) != tc.err {
			t.Fatalf("SplitArgs(%q) error %v, want error %v", tc.in, err, tc.err)
		}
		testutil.Equal(t, fmt.Sprintf("%q", got), fmt.Sprintf("%q", tc.want))
	}
}

func TestParseScript(t *testing.T) {
	src := `# comment
@proto 2
SET a 1

@unordered @float KEYS *
@client 2
@sleep 10
@noreply SUBSCRIBE ch
@ignore @read
@raw "PING\r\n"
`
	s, err := ParseScript("x.txt", strings.NewReader(src))
	testutil.NoErr(t, err)
	testutil.Equal(t, fmt.Sprint(s.Protos), "[2]")
	testutil.Equal(t, len(s.Steps), 7)
	testutil.Equal(t, s.Steps[0].Line, 3)
	testutil.Equal(t, s.Steps[1].Unordered && s.Steps[1].Float, true)
	testutil.Equal(t, s.Steps[2].Client, 2)
	testutil.Equal(t, s.Steps[3].Sleep.Milliseconds(), int64(10))
	testutil.Equal(t, s.Steps[4].NoReply, true)
	testutil.Equal(t, s.Steps[5].Op == OpRead && s.Steps[5].Ignore, true)
	testutil.Equal(t, string(s.Steps[6].Raw), "PING\r\n")
	testutil.Equal(t, s.Commands(), 3)

	for _, bad := range []string{"@bogus", "@client x", "@sleep", "@unordered", "@ignore @client 1", "@proto 4", `GET "a`, "@read x"} {
		if _, err := ParseScript("x.txt", strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "x.txt:1:") {
			t.Errorf("ParseScript(%q) = %v, want an error naming x.txt:1", bad, err)
		}
	}
}

func TestParseDeliberate(t *testing.T) {
	d, err := ParseDeliberate(strings.NewReader("# c\n\nkeys.txt:12  OBJECT FREQ text\nkeys.txt:13@3 only resp3\n"))
	testutil.NoErr(t, err)
	_, _, ok := d.Lookup("keys.txt", 12, 2)
	testutil.Equal(t, ok, true)
	_, _, ok = d.Lookup("keys.txt", 13, 2)
	testutil.Equal(t, ok, false)
	_, key, ok := d.Lookup("keys.txt", 13, 3)
	testutil.Equal(t, ok && key == "keys.txt:13@3", true)
	for _, bad := range []string{"keys.txt:x why", "keys.txt:1", "keys:1 why", "keys.txt:1@4 why"} {
		if _, err := ParseDeliberate(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseDeliberate(%q): no error", bad)
		}
	}
}

func out(t *testing.T, frame string) Outcome {
	t.Helper()
	v, raw, err := resp.ReadReply(bufioReader(frame))
	testutil.NoErr(t, err)
	return Outcome{Raw: raw, Val: v}
}

func TestSame(t *testing.T) {
	tests := []struct {
		a, b             string
		unordered, float bool
		want             bool
	}{
		{"+OK\r\n", "+OK\r\n", false, false, true},
		{"+OK\r\n", "$2\r\nOK\r\n", false, false, false},
		{"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", false, false, false},
		{"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", true, false, true},
		{"*2\r\n$1\r\na\r\n$1\r\na\r\n", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", true, false, false},
		{"~2\r\n:1\r\n:2\r\n", "*2\r\n:2\r\n:1\r\n", true, false, false},
		{"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true, false, true},
		{"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:1\r\n+a\r\n:2\r\n", true, false, false},
		{"$3\r\n0.3\r\n", "$19\r\n0.30000000000000004\r\n", false, true, true},
		{"$3\r\n0.3\r\n", "$3\r\n0.4\r\n", false, true, false},
		{"$3\r\n0.3\r\n", ",0.3\r\n", false, true, false},
		{"*2\r\n,1.5\r\n+x\r\n", "*2\r\n,1.50000000000001\r\n+x\r\n", false, true, true},
		{"*2\r\n,1.5\r\n+x\r\n", "*2\r\n,1.5\r\n+y\r\n", false, true, false},
	}
	for _, tc := range tests {
		got := Same(out(t, tc.a), out(t, tc.b), tc.unordered, tc.float)
		if got != tc.want {
			t.Errorf("Same(%q, %q, unordered=%v, float=%v) = %v", tc.a, tc.b, tc.unordered, tc.float, got)
		}
	}
	testutil.Equal(t, Same(Outcome{Fail: "no reply"}, Outcome{Fail: "no reply"}, false, false), true)
	testutil.Equal(t, Same(Outcome{Fail: "no reply"}, out(t, "+OK\r\n"), false, false), false)
}

// TestHarnessDetectsDifferences runs a script against two redis servers
// configured differently and checks that exactly the lines that must
// differ are reported, including leftovers found by the final drain.
func TestHarnessDetectsDifferences(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	src := `SET k v
OBJECT FREQ k
@unordered CONFIG GET maxmemory-policy
@ignore CONFIG GET maxmemory-policy
@client 1
@noreply CLIENT REPLY OFF
@noreply OBJECT FREQ k
`
	s, err := ParseScript("detect.txt", strings.NewReader(src))
	testutil.NoErr(t, err)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			var reports []string
			r := newRun(t, s, proto, Deliberate{"detect.txt:3": "accepted for the test"})
			r.startB = func(t testing.TB, args ...string) *testutil.Node {
				return testutil.StartRedis(t, "--maxmemory-policy", "allkeys-lfu")
			}
			r.nameB = "lfu"
			r.errorf = func(format string, args ...any) { reports = append(reports, fmt.Sprintf(format, args...)) }
			r.exec()
			// Line 2: error vs number. Line 3: accepted. Line 7: redis
			// sends nothing (CLIENT REPLY OFF), so nothing is left over
			// on either side.
			if len(reports) != 1 || !strings.HasPrefix(reports[0], "detect.txt:2 ") {
				t.Fatalf("reports = %q", reports)
			}
			testutil.Equal(t, r.used["detect.txt:3"], true)
			testutil.Equal(t, r.compared, 4) // with the harness's FLUSHALL
		})
	}
}

// TestHarnessLeftovers checks that the end-of-script drain reports a reply
// one side sent and the other did not.
func TestHarnessLeftovers(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	s, err := ParseScript("left.txt", strings.NewReader("SET k v\n@noreply OBJECT FREQ k\n"))
	testutil.NoErr(t, err)
	var reports []string
	r := newRun(t, s, 2, Deliberate{})
	r.startB = func(t testing.TB, args ...string) *testutil.Node {
		return testutil.StartRedis(t, "--maxmemory-policy", "allkeys-lfu")
	}
	r.errorf = func(format string, args ...any) { reports = append(reports, fmt.Sprintf(format, args...)) }
	r.exec()
	if len(reports) != 1 || !strings.Contains(reports[0], "leftover reply #1") {
		t.Fatalf("reports = %q", reports)
	}
}
