package acl

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/command"
)

var testCat = NewCatalog(command.NewTable())

func newReg() *Registry { return NewRegistry(testCat) }

func TestDefaultUser(t *testing.T) {
	r := newReg()
	d := r.Default().Perms()
	if !d.All {
		t.Fatal("default user must take the fast path")
	}
	if got := r.Default().Line(testCat); got != "user default on nopass ~* &* +@all" {
		t.Fatalf("line %q", got)
	}
	if r.AuthRequired() {
		t.Fatal("nopass default must not require auth")
	}
	r.SetDefaultPassword("pw")
	if !r.AuthRequired() || r.Authenticate("default", []byte("pw")) == nil || r.Authenticate("default", []byte("x")) != nil {
		t.Fatal("requirepass")
	}
	if !r.Default().Perms().All {
		t.Fatal("a password does not narrow the permissions")
	}
}

func TestRulesAtomic(t *testing.T) {
	r := newReg()
	if _, _, err := r.SetUser("u", []string{"on", ">pw", "~a"}); err != nil {
		t.Fatal(err)
	}
	before := r.Get("u").Line(testCat)
	_, _, err := r.SetUser("u", []string{"~b", "+nosuch"})
	if err == nil || err.Error() != "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL" {
		t.Fatalf("err %v", err)
	}
	if after := r.Get("u").Line(testCat); after != before {
		t.Fatalf("a refused SETUSER changed the user: %q -> %q", before, after)
	}
}

func TestDescribeRoundTrip(t *testing.T) {
	r := newReg()
	rules := [][]string{
		{"on", ">a", "~x:*", "&c", "+@read", "-@dangerous", "+config|get", "+select|0"},
		{"+@all", "-@admin", "-get", "%R~r", "%W~w"},
		{"nopass", "(~a +get)", "(%R~b +@hash -hdel)"},
		{"allchannels", "-@all", "+@pubsub", "-publish", "+client|id"},
	}
	for i, rs := range rules {
		name := "u" + string(rune('a'+i))
		u, _, err := r.SetUser(name, rs)
		if err != nil {
			t.Fatal(err)
		}
		desc := u.Perms().Describe(testCat)
		// Rebuilding from the description gives the same description
		// and the same bitmaps.
		u2, _, err := r.SetUser(name+"copy", splitRules(desc))
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		if d2 := u2.Perms().Describe(testCat); d2 != desc {
			t.Fatalf("round trip\n%s\n%s", desc, d2)
		}
		for j, s := range u.Perms().Selectors {
			s2 := u2.Perms().Selectors[j]
			for w := range s.cmds {
				if s.cmds[w] != s2.cmds[w] {
					t.Fatalf("%s: bitmap word %d differs", desc, w)
				}
			}
		}
	}
}

func check(t *testing.T, p *Perms, args ...string) (int, int) {
	t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	spec := command.NewTable().Lookup(b[0])
	if spec.Subs != nil {
		spec = spec.LookupSub(b)
	}
	spec = testCat.Lookup(spec.Name).Spec
	var sc Scratch
	return p.Check(testCat, spec, b, &sc)
}

func TestCheck(t *testing.T) {
	r := newReg()
	u, _, _ := r.SetUser("u", []string{"on", "~k:*", "%R~r:*", "&ch:*", "+get", "+set", "+publish", "+psubscribe", "+config|get", "+select|1"})
	p := u.Perms()
	cases := []struct {
		args      []string
		want, idx int
	}{
		{[]string{"get", "k:1"}, OK, 0},
		{[]string{"get", "r:1"}, OK, 0},
		{[]string{"set", "r:1", "v"}, DeniedKey, 1},
		{[]string{"set", "k:1", "v"}, OK, 0},
		{[]string{"get", "x"}, DeniedKey, 1},
		{[]string{"del", "k:1"}, DeniedCmd, 0},
		{[]string{"config", "get", "x"}, OK, 0},
		{[]string{"config", "set", "x", "y"}, DeniedCmd, 0},
		{[]string{"select", "1"}, OK, 0},
		{[]string{"SELECT", "2"}, DeniedCmd, 0},
		{[]string{"publish", "ch:1", "m"}, OK, 0},
		{[]string{"publish", "x", "m"}, DeniedChannel, 1},
		{[]string{"psubscribe", "ch:*"}, OK, 0},
		{[]string{"psubscribe", "ch:1"}, DeniedChannel, 1},
		{[]string{"auth", "a", "b"}, OK, 0}, // no_auth commands pass
	}
	for _, c := range cases {
		if got, idx := check(t, p, c.args...); got != c.want || idx != c.idx {
			t.Errorf("%v: got %d@%d want %d@%d", c.args, got, idx, c.want, c.idx)
		}
	}
}

func TestLog(t *testing.T) {
	l := NewLog(2)
	l.Add(LogEntry{Reason: DeniedCmd, Context: "toplevel", Object: "get", Username: "u", CtimeMs: 1000})
	l.Add(LogEntry{Reason: DeniedCmd, Context: "toplevel", Object: "get", Username: "u", CtimeMs: 2000})
	if e := l.Newest(10); len(e) != 1 || e[0].Count != 2 || e[0].CtimeMs != 2000 {
		t.Fatalf("grouping: %+v", e)
	}
	l.Add(LogEntry{Reason: DeniedCmd, Context: "toplevel", Object: "get", Username: "u", CtimeMs: 2000 + groupMaxDelta + 1})
	l.Add(LogEntry{Reason: DeniedKey, Context: "toplevel", Object: "k", Username: "u", CtimeMs: 70000})
	e := l.Newest(10)
	if len(e) != 2 || e[0].Object != "k" || e[1].Count != 1 {
		t.Fatalf("trim/order: %+v", e)
	}
}

func TestLoadFileErrors(t *testing.T) {
	r := newReg()
	_, err := r.LoadFile("users.acl", "user a on +nosuch\nbogus line\nuser a on\n")
	want := "users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. users.acl:2 should start with user keyword followed by the username. WARNING: Duplicate user 'a' found on line 3. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v", err)
	}
	gone, err := r.LoadFile("users.acl", "user a on >x ~* +@all\n")
	if err != nil || len(gone) != 0 || r.Authenticate("a", []byte("x")) == nil {
		t.Fatalf("load: %v %v", gone, err)
	}
	if !strings.Contains(r.FileText(), "user default on nopass ~* &* +@all\n") {
		t.Fatalf("file text %q", r.FileText())
	}
}

// FuzzSetUser feeds rule lists to the parser: it must never panic, a
// refused list changes nothing, and (patterns without parentheses or
// quotes) an accepted user's description parses back to itself.
func FuzzSetUser(f *testing.F) {
	for _, s := range []string{
		"on >secret ~app:* &app:* +@read +@write -@dangerous",
		"reset nopass allkeys allchannels allcommands",
		"%R~r:* %W~w:* %RW~x +config|get +select|0 -@all",
		"(~a +get) (%R~b +@hash) clearselectors",
		"#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 !5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		"( ~x +get )", "(\"~x\" '+get')", "%~x", "~* ~x", "&* &x", "+debug|", "+client|id|x", "<nosuch", "+ - ( )",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		rules := strings.Fields(line)
		r := newReg()
		u, _, err := r.SetUser("f", rules)
		if err != nil {
			if r.Get("f") != nil {
				t.Fatal("refused rules created the user")
			}
			return
		}
		desc := u.Perms().Describe(testCat)
		if strings.ContainsAny(line, "()\"'\\") {
			// Patterns holding parentheses or quotes do not survive a
			// description in Redis either (ACL LIST prints them raw).
			return
		}
		u2, _, err := r.SetUser("g", splitRules(desc))
		if err != nil {
			t.Fatalf("description %q does not parse: %v", desc, err)
		}
		if d2 := u2.Perms().Describe(testCat); d2 != desc {
			t.Fatalf("round trip %q -> %q", desc, d2)
		}
	})
}

// BenchmarkCheck: the permission check alone, for the default user (the
// fast path) and for a user with key patterns (bitmap, key specs, glob).
func BenchmarkCheck(b *testing.B) {
	r := newReg()
	u, _, _ := r.SetUser("app", []string{"on", "nopass", "~key:*", "+@all", "-@dangerous"})
	set := [][]byte{[]byte("SET"), []byte("key:1"), []byte("value")}
	spec := testCat.Lookup("set").Spec
	for _, tc := range []struct {
		name string
		p    *Perms
	}{{"default", r.Default().Perms()}, {"user", u.Perms()}} {
		b.Run(tc.name, func(b *testing.B) {
			var sc Scratch
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if res, _ := tc.p.Check(testCat, spec, set, &sc); res != OK {
					b.Fatal(res)
				}
			}
		})
	}
}
