package command

import "testing"

func BenchmarkTableLookup(b *testing.B) {
	t := NewTable()
	names := [][]byte{[]byte("SET"), []byte("get"), []byte("PFADD"), []byte("zrangebyscore"), []byte("Hset"), []byte("lpush")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if t.Lookup(names[i%len(names)]) == nil {
			b.Fatal("nil")
		}
	}
}

// TestLookupAnyCase: Lookup finds every command by its name in any case,
// and nothing for near misses (one letter off, a prefix, a longer name).
func TestLookupAnyCase(t *testing.T) {
	tab := NewTable()
	n := 0
	tab.Each(func(s *Spec) {
		if s.Parent != nil {
			return
		}
		n++
		for _, name := range []string{s.Name, upper(s.Name)} {
			if got := tab.Lookup([]byte(name)); got != s {
				t.Errorf("Lookup(%q) = %v", name, got)
			}
		}
		for _, miss := range []string{s.Name + "x", s.Name[:len(s.Name)-1], "x" + s.Name[1:]} {
			if got := tab.Lookup([]byte(miss)); got != nil && got.Name != miss {
				t.Errorf("Lookup(%q) = %s", miss, got.Name)
			}
		}
	})
	if n < 200 {
		t.Fatalf("only %d commands", n)
	}
	if err := tab.Rename("set", "put"); err != nil {
		t.Fatal(err)
	}
	if tab.Lookup([]byte("SET")) != nil || tab.Lookup([]byte("PUT")) == nil {
		t.Error("rename-command set put: the old name still answers or the new one does not")
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
