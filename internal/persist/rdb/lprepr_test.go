package rdb

import (
	"strings"
	"testing"
)

func TestListpackRepr(t *testing.T) {
	lp := listpackOf("a", "-4000", strings.Repeat("z", 70), strings.Repeat("w", 5000))
	got := string(AppendListpackRepr(nil, lp, 0x1000))
	want := "{total bytes 5093} {num entries 4}\n" +
		"{\n\taddr: 0x00001006,\n\tindex:  0,\n\toffset: 6,\n\thdr+entrylen+backlen:  3,\n\thdrlen:   1,\n\tbacklen:  1,\n\tpayload: 1\n\tbytes: 81|61|02|\n\t[str]a\n}\n" +
		"{\n\taddr: 0x00001009,\n\tindex:  1,\n\toffset: 9,\n\thdr+entrylen+backlen:  3,\n\thdrlen:   1,\n\tbacklen:  1,\n\tpayload: 1\n\tbytes: d0|60|02|\n\t[str]-4000\n}\n"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("got\n%s\nwant prefix\n%s", got, want)
	}
	// A 12-bit string: 2 header bytes; a 32-bit one: 5, a 2-byte backlen.
	for _, frag := range []string{"\thdr+entrylen+backlen: 73,\n\thdrlen:   2,\n\tbacklen:  1,\n\tpayload: 70\n",
		"\thdr+entrylen+backlen: 5007,\n\thdrlen:   5,\n\tbacklen:  2,\n\tpayload: 5000\n",
		"\t[str]" + strings.Repeat("w", 40) + "...\n}\n{end}\n\n"} {
		if !strings.Contains(got, frag) {
			t.Errorf("no %q in\n%s", frag, got)
		}
	}
}

// FuzzListpackRepr: any bytes give a report (a malformed one says so),
// never a panic or an endless walk.
func FuzzListpackRepr(f *testing.F) {
	f.Add(listpackOf("a", "1", "-70000", strings.Repeat("x", 100)))
	f.Add(listpackOf())
	f.Add([]byte{7, 0, 0, 0, 0xff, 0xff, 0xff})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, lp []byte) {
		out := AppendListpackRepr(nil, lp, 0)
		if !strings.HasSuffix(string(out), "{end}\n\n") {
			t.Fatalf("report does not end: %q", out)
		}
	})
}
