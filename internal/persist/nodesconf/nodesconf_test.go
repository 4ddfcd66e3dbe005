package nodesconf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

const (
	idA = "97774e2ae33bfb50bd84d91ccb6d33d8b7b407a4"
	idB = "779ec7c14c99222390fb622bacb18bc92a0eb710"
	idC = "7062f4178c30f2cc8919c1464fd15387c6f0dc3f"
)

// TestGolden: files written by redis-server 7.0.15 (testdata/gen_nodesconf.sh)
// survive Parse -> Marshal byte for byte.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.conf")
	if err != nil || len(files) < 3 {
		t.Fatalf("golden files: %v %v", files, err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Marshal(); !bytes.Equal(got, data) {
				t.Fatalf("Marshal differs from redis's file\ngot:\n%s\nwant:\n%s", got, data)
			}
		})
	}
}

func TestParseSingle(t *testing.T) {
	data, err := os.ReadFile("testdata/single.conf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := &File{Nodes: []Node{{
		ID: "dd0515e43c67fb1c82d9f876e0dcd14bbfbab243", IP: "", Port: 16410, CPort: 26410,
		Hostname: "node-a.example", Flags: []string{"myself", "master"}, MasterID: "-",
		LinkState: "connected",
		Slots:     []slot.Range{{Start: 0, End: 5460}, {Start: 7000, End: 7000}, {Start: 7002, End: 7005}},
	}}}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got %+v\nwant %+v", f, want)
	}
}

func TestParseMarksAndReplica(t *testing.T) {
	for _, tc := range []struct {
		file                 string
		me                   string
		migrating, importing map[int]string
	}{
		{"migrating-a.conf", idA, map[int]string{100: idB, 101: idB}, nil},
		{"migrating-b.conf", idB, nil, map[int]string{100: idA, 101: idA, 16000: idC}},
	} {
		data, _ := os.ReadFile("testdata/" + tc.file)
		f, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range f.Nodes {
			if n.ID != tc.me {
				if n.Migrating != nil || n.Importing != nil {
					t.Errorf("%s: marks on %s", tc.file, n.ID)
				}
				continue
			}
			if !reflect.DeepEqual(n.Migrating, tc.migrating) || !reflect.DeepEqual(n.Importing, tc.importing) {
				t.Errorf("%s: migrating %v importing %v", tc.file, n.Migrating, n.Importing)
			}
		}
		if f.CurrentEpoch != 3 || f.LastVoteEpoch != 0 {
			t.Errorf("%s: epochs %d %d", tc.file, f.CurrentEpoch, f.LastVoteEpoch)
		}
	}
	data, _ := os.ReadFile("testdata/failed-replica.conf")
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Nodes[0]
	if !reflect.DeepEqual(r.Flags, []string{"slave", "fail"}) || r.MasterID != idB ||
		r.LinkState != "disconnected" || r.ConfigEpoch != 2 || r.Slots != nil || r.PingSent == 0 {
		t.Fatalf("replica line parsed as %+v", r)
	}
}

// me is a minimal valid myself line for building test files.
const me = idA + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected"

func TestParseLenient(t *testing.T) {
	cases := []struct {
		name, in string
		check    func(*File) bool
	}{
		{"no cport (pre-4.0)", idA + " 10.0.0.1:7000 myself,master - 0 0 1 connected 0-10\n",
			func(f *File) bool { return f.Nodes[0].CPort == 17000 && f.Nodes[0].IP == "10.0.0.1" }},
		{"ipv6", idA + " ::1:7000@17000 myself,master - 0 0 1 connected\n",
			func(f *File) bool { return f.Nodes[0].IP == "::1" && f.Nodes[0].Port == 7000 }},
		{"hostname without cport", idA + " 1.2.3.4:7000,h.example myself,master - 0 0 1 connected\n",
			func(f *File) bool { return f.Nodes[0].Hostname == "h.example" && f.Nodes[0].CPort == 17000 }},
		{"empty hostname", idA + " 1.2.3.4:7000@1,  myself,master - 0 0 1 connected\n",
			func(f *File) bool { return f.Nodes[0].Hostname == "" }},
		{"blank lines, padding, no final newline", "\n\n" + me + "\n\nvars currentEpoch 5 lastVoteEpoch 4\n\n\n",
			func(f *File) bool { return f.CurrentEpoch == 5 && f.LastVoteEpoch == 4 }},
		{"no vars line", me, func(f *File) bool { return f.CurrentEpoch == 0 }},
		{"vars alone, unknown var, any case", me + "\nVARS\nvars foo 1 CURRENTEPOCH 9\n",
			func(f *File) bool { return f.CurrentEpoch == 9 }},
		{"flags any case, noflags, duplicates", idA + " :0@0 MYSELF,Master,noflags,master - 0 0 0 connected\n",
			func(f *File) bool { return reflect.DeepEqual(f.Nodes[0].Flags, []string{"myself", "master"}) }},
		{"flags reordered", me + "\n" + idB + " :1@2 nofailover,fail?,slave " + idA + " 0 0 1 disconnected\n",
			func(f *File) bool {
				return reflect.DeepEqual(f.Nodes[1].Flags, []string{"slave", "fail?", "nofailover"})
			}},
		{"no flags", me + "\n" + idB + " :1@2 noflags - 0 0 0 disconnected\n",
			func(f *File) bool { return reflect.DeepEqual(f.Nodes[1].Flags, []string{"noflags"}) }},
		{"tabs and CRLF", strings.ReplaceAll(me, " ", "\t") + "\r\nvars currentEpoch 1 lastVoteEpoch 0\r\n",
			func(f *File) bool { return f.CurrentEpoch == 1 && f.Nodes[0].LinkState == "connected" }},
		{"unmerged, unsorted slots", me + " 10-20 0-9 21 30\n",
			func(f *File) bool {
				return reflect.DeepEqual(f.Nodes[0].Slots, []slot.Range{{Start: 0, End: 21}, {Start: 30, End: 30}})
			}},
		{"slots and marks interleaved", me + " [5->-" + idA + "] 0-3\n",
			func(f *File) bool { return f.Nodes[0].Migrating[5] == idA && len(f.Nodes[0].Slots) == 1 }},
		{"line starting with NUL is skipped", "\x00junk\n" + me,
			func(f *File) bool { return len(f.Nodes) == 1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(f) {
				t.Fatalf("unexpected result %+v", f)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in string
		line     int
		reason   string
	}{
		{"short line", me + "\n" + idB + " :0@0 master - 0 0 0\n", 2, "fewer than 8"},
		{"bad id", "xyz :0@0 myself - 0 0 0 connected\n", 1, "bad node ID"},
		{"uppercase id", strings.ToUpper(idA) + " :0@0 myself - 0 0 0 connected\n", 1, "bad node ID"},
		{"no colon", idA + " 127.0.0.1 myself - 0 0 0 connected\n", 1, "bad address"},
		{"bad port", idA + " 1.2.3.4:x@1 myself - 0 0 0 connected\n", 1, "bad address"},
		{"bad cport", idA + " 1.2.3.4:1@1@2 myself - 0 0 0 connected\n", 1, "bad address"},
		{"port too big", idA + " 1.2.3.4:65536@1 myself - 0 0 0 connected\n", 1, "bad address"},
		{"ip too long", idA + " " + strings.Repeat("1", 46) + ":1@2 myself - 0 0 0 connected\n", 1, "bad address"},
		{"unknown flag", idA + " :0@0 myself,leader - 0 0 0 connected\n", 1, "unknown flag"},
		{"empty flag", idA + " :0@0 myself, - 0 0 0 connected\n", 1, "unknown flag"},
		{"two myself", me + "\n" + idB + " :0@0 myself - 0 0 0 connected\n", 2, "second node is flagged myself"},
		{"no myself", idA + " :0@0 master - 0 0 0 connected\n", 0, "no node is flagged myself"},
		{"only blank lines", "\n\n", 0, "no node is flagged myself"},
		{"whitespace line", me + "\n  \n", 2, "only whitespace"},
		{"bad master", idA + " :0@0 myself,slave -x 0 0 0 connected\n", 1, "bad master ID"},
		{"self master", idA + " :0@0 myself,slave " + idA + " 0 0 0 connected\n", 1, "bad master ID"},
		{"unknown master", idA + " :0@0 myself,slave " + idB + " 0 0 0 connected\n", 1, "master " + idB + " has no node line"},
		{"negative ping", idA + " :0@0 myself - -1 0 0 connected\n", 1, "bad ping"},
		{"epoch overflow", idA + " :0@0 myself - 0 0 18446744073709551616 connected\n", 1, "bad ping"},
		{"bad link", idA + " :0@0 myself - 0 0 0 up\n", 1, "bad link state"},
		{"slot out of range", me + " 16384\n", 1, "bad slot range"},
		{"reversed range", me + " 9-3\n", 1, "bad slot range"},
		{"non-numeric slot", me + " abc\n", 1, "bad slot range"},
		{"slot twice", me + " 1-5 5\n", 1, "slot 5 listed twice"},
		{"slot owned twice", me + " 1-5\n" + idB + " :0@0 master - 0 0 0 connected 5\n", 2, "slot 5 already owned"},
		{"mark no dash", me + " [100]\n", 1, "bad migration mark"},
		{"mark bad direction", me + " [100-=-" + idB + "]\n", 1, "bad migration mark"},
		{"mark no bracket", me + " [100->-" + idB + "\n", 1, "bad migration mark"},
		{"mark bad slot", me + " [16384->-" + idB + "]\n", 1, "bad migration mark"},
		{"mark short id", me + " [1->-abc]\n", 1, "bad migration mark"},
		{"mark on other node", me + "\n" + idB + " :0@0 master - 0 0 0 connected [1->-" + idA + "]\n", 2, "other than myself"},
		{"two marks one slot", me + " [1->-" + idA + "] [1-<-" + idA + "]\n", 1, "two migration marks"},
		{"mark unknown target", me + " [1->-" + idB + "]\n", 1, "mark target " + idB + " has no node line"},
		{"duplicate node", me + "\n" + me + "\n", 2, "listed twice"},
		{"vars odd", me + "\nvars currentEpoch\n", 2, "name value pairs"},
		{"vars bad number", me + "\nvars currentEpoch x\n", 2, "bad number"},
		{"quotes", me + " \"1\"\n", 1, "quoted"},
		{"control char", me + "\v\n", 1, "control character"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.in))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Parse = %+v, %v; want *ParseError", f, err)
			}
			if pe.Line != tc.line || !strings.Contains(pe.Reason, tc.reason) {
				t.Fatalf("error %q: line %d, want line %d and reason containing %q", err, pe.Line, tc.line, tc.reason)
			}
			if tc.line > 0 {
				wantText := strings.Split(tc.in, "\n")[tc.line-1]
				if pe.Text != wantText || !strings.Contains(err.Error(), "line ") {
					t.Fatalf("error %q does not quote line %q", err, wantText)
				}
			}
		})
	}
	if _, err := Parse(nil); err != ErrNoConfig {
		t.Fatalf("Parse(empty) = %v, want ErrNoConfig", err)
	}
}

func TestMarshalCanonical(t *testing.T) {
	f := &File{
		Nodes: []Node{
			{ID: idA, IP: "10.0.0.1", Port: 7000, CPort: 17000, Flags: []string{"master", "myself"},
				Slots:     []slot.Range{{Start: 10, End: 20}, {Start: 0, End: 9}, {Start: 30, End: 30}},
				Migrating: map[int]string{9: idB, 2: idB}, Importing: map[int]string{9: idC, 5000: idC},
				LinkState: "connected"},
			{ID: idB, Port: 7001, CPort: 17001, MasterID: idA},
			{ID: idC, Port: 7002, CPort: 17002, Flags: []string{"noflags"}, PingSent: 5, PongRecv: 6, ConfigEpoch: 7},
		},
		CurrentEpoch: 7, LastVoteEpoch: 3,
	}
	want := idA + " 10.0.0.1:7000@17000 myself,master - 0 0 0 connected 0-20 30 [2->-" + idB + "] [9->-" + idB + "] [5000-<-" + idC + "]\n" +
		idB + " :7001@17001 noflags " + idA + " 0 0 0 disconnected\n" +
		idC + " :7002@17002 noflags - 5 6 7 disconnected\n" +
		"vars currentEpoch 7 lastVoteEpoch 3\n"
	if got := string(f.Marshal()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
	if err := WriteAtomic(filepath.Join(dir, "missing", "nodes.conf"), nil); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

// TestWriteInPlace: longer and shorter contents replace the file exactly,
// and the file stays the one this process locked.
func TestWriteInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodes.conf")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, content := range []string{"a much longer first content\n", "short\n", "", "again, longer\n"} {
		if err := WriteInPlace(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	if _, err := Lock(path); err == nil {
		t.Fatal("the lock was lost")
	}
}
