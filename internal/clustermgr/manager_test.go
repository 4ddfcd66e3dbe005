package clustermgr

import (
	"github.com/shoal-db/shoal/client"
	"strings"
	"testing"
	"time"
)

func TestParseNodeAddr(t *testing.T) {
	cases := []struct {
		in        string
		ip        string
		port, bus int
		ok        bool
	}{
		{"127.0.0.1:7001@17001", "127.0.0.1", 7001, 17001, true},
		{"127.0.0.1:7001@17001,host.example", "127.0.0.1", 7001, 17001, true},
		{"::1:7001", "::1", 7001, 0, true},
		{":0@0", "", 0, 0, true},
		{"nohost", "", 0, 0, false},
	}
	for _, c := range cases {
		ip, port, bus, ok := parseNodeAddr(c.in)
		if ip != c.ip || port != c.port || bus != c.bus || ok != c.ok {
			t.Errorf("%q: got %q %d %d %v", c.in, ip, port, bus, ok)
		}
	}
}

func TestSlotsString(t *testing.T) {
	var s [Slots]bool
	for _, i := range []int{0, 1, 2, 5, 16383} {
		s[i] = true
	}
	if got := slotsString(&s); got != "[0-2],[5],[16383]" {
		t.Fatalf("got %q", got)
	}
}

func TestSignature(t *testing.T) {
	a := "b 127.0.0.1:2@3 master - 0 0 2 connected 5461-10922\n" +
		"a 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-5460 [5->-b]\n" +
		"c 127.0.0.1:3@4 slave a 0 0 1 connected\n"
	b := "a 127.0.0.1:1@2 master - 0 0 1 connected 0-5460\n" +
		"b 127.0.0.1:2@3 myself,master - 0 0 2 connected 5461-10922\n"
	sa, oka := signature(a)
	sb, okb := signature(b)
	if !oka || !okb || sa != sb || sa != "a:0-5460|b:5461-10922" {
		t.Fatalf("%q %v / %q %v", sa, oka, sb, okb)
	}
	if _, ok := signature("a 127.0.0.1:1@2 myself,master - 0 0 1 connected\n"); ok {
		t.Fatal("no slots: no signature")
	}
}

// computeReshardTable against a naive twin: the right number of slots,
// each taken from a source that owns it, the biggest source first, no slot
// twice.
func TestComputeReshardTable(t *testing.T) {
	mk := func(lo, hi int) *node {
		n := newNode("h", 1, 0)
		for s := lo; s <= hi; s++ {
			n.slots[s] = true
			n.slotsCount++
		}
		return n
	}
	for _, num := range []int{1, 7, 100, 1000, 5000} {
		a, b, c := mk(0, 5460), mk(5461, 10922), mk(10923, 16383)
		table := computeReshardTable([]*node{a, b, c}, num)
		if len(table) != num && len(table) != num-1 && len(table) != num-2 {
			t.Fatalf("%d slots: table has %d", num, len(table))
		}
		seen := map[int]bool{}
		for _, it := range table {
			if !it.source.slots[it.slot] || seen[it.slot] {
				t.Fatalf("slot %d bad or repeated", it.slot)
			}
			seen[it.slot] = true
		}
		if table[0].source != b { // 5462 slots: the biggest gives first
			t.Fatalf("%d: first source is not the biggest", num)
		}
	}
}

func FuzzParseNodeAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:7001@17001", "[::1]:1", "a:b@c", "@", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, _, _, ok := parseNodeAddr(s)
		if ok && !strings.Contains(s, ip) {
			t.Fatalf("ip %q not in %q", ip, s)
		}
		hostFromArgs([]string{s})
	})
}

func FuzzSignature(f *testing.F) {
	f.Add("a 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-5460 [5->-b]\n")
	f.Add("x y z\n\n a  b")
	f.Fuzz(func(t *testing.T, s string) {
		signature(s)
		client.InfoField(s, "cluster_enabled")
	})
}

// TestGroupSchedulerSpreadsSources: the parallel workers get groups of
// different sources before a second group of the same source, and no more
// than workers/sources of one source at once.
func TestGroupSchedulerSpreadsSources(t *testing.T) {
	a, b, c := &node{name: "a"}, &node{name: "b"}, &node{name: "c"}
	var table []reshardItem
	for _, src := range []*node{a, b, c} {
		for i := 0; i < 3*groupSize; i++ {
			table = append(table, reshardItem{source: src, slot: len(table)})
		}
	}
	s := newGroupScheduler(groupTable(table), 6) // 2 per source
	var got []string
	var held []slotGroup
	for i := 0; i < 6; i++ {
		g, ok := s.next()
		if !ok {
			t.Fatal("ran out of groups")
		}
		got = append(got, g.source.name)
		held = append(held, g)
	}
	if want := "a b c a b c"; strings.Join(got, " ") != want {
		t.Fatalf("first six groups from %v, want %s", got, want)
	}
	next := make(chan slotGroup)
	go func() { g, _ := s.next(); next <- g }()
	select {
	case g := <-next:
		t.Fatalf("a 7th group (%s) while every source is at its limit", g.source.name)
	case <-time.After(50 * time.Millisecond):
	}
	s.done(held[1], true) // one of b's ends: b goes next
	g7 := <-next
	if g7.source != b {
		t.Fatalf("next group from %s, want b", g7.source.name)
	}
	for i, g := range append(held, g7) {
		if i != 1 {
			s.done(g, true)
		}
	}
	n := 7
	for {
		g, ok := s.next()
		if !ok {
			break
		}
		s.done(g, true)
		n++
	}
	if n != 9 || len(s.finished()) != 9 {
		t.Fatalf("%d groups handed out, %d finished; want 9 and 9", n, len(s.finished()))
	}
}
