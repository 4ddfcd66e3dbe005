package nodesconf

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, and for accepted input Marshal is a fixed
// point: Parse(Marshal(f)) == f and Marshal of that is the same bytes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.conf")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		me + "\n",
		me + " 0-5 [6->-" + idA + "] 7\nvars currentEpoch 1 lastVoteEpoch 1\n",
		idA + " 10.0.0.1:7000 myself,slave " + idB + " 0 0 1 connected\n" + idB + " ::1:7001,h noflags - 1 2 3 disconnected 5-9\n",
		"vars\n\n" + me + "\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		out := file.Marshal()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(x)) failed: %v\ninput:  %q\noutput: %q", err, data, out)
		}
		if !reflect.DeepEqual(file, again) {
			t.Fatalf("round trip changed the file\nfirst:  %+v\nsecond: %+v", file, again)
		}
		if out2 := again.Marshal(); !bytes.Equal(out, out2) {
			t.Fatalf("Marshal not stable:\n%q\n%q", out, out2)
		}
	})
}
