package rdb

import (
	"bytes"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// golden is one payload captured by testdata/capture.sh.
type golden struct {
	name    string
	payload []byte
	enc     string
	text    string
}

func loadGoldens(t testing.TB) []golden {
	t.Helper()
	files, err := filepath.Glob("testdata/dumps/*.hex")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden payloads (run testdata/capture.sh): %v", err)
	}
	var gs []golden
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hex")
		h, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := hex.DecodeString(strings.TrimSpace(string(h)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		enc, _ := os.ReadFile(strings.TrimSuffix(f, ".hex") + ".enc")
		txt, _ := os.ReadFile(strings.TrimSuffix(f, ".hex") + ".txt")
		gs = append(gs, golden{name, p, strings.TrimSpace(string(enc)), string(txt)})
	}
	return gs
}

// formatScore is how Redis 7.0 replies with a score in RESP2 (addReplyDouble).
func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return string(formatDouble17(nil, f))
}

// render prints v as capture.sh does with redis-cli --raw.
func render(v keyspace.Value) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line(v.Kind().String())
	switch o := v.Obj.(type) {
	case nil:
		line(v.Str)
	case *types.List:
		for _, e := range o.Elements() {
			line(e)
		}
	case *types.Set:
		var ms []string
		o.Members(func(m string) bool { ms = append(ms, m); return true })
		slices.Sort(ms)
		for _, m := range ms {
			line(m)
		}
	case *types.Hash:
		o.Each(func(f, v []byte) bool { line(string(f)); line(string(v)); return true })
	case *types.Stream:
		renderStream(line, o)
	case *types.ZSet:
		o.Range(0, o.Len(), false, func(m []byte, s float64) bool {
			line(string(m))
			line(formatScore(s))
			return true
		})
	}
	return b.String()
}

// renderStream prints XRANGE s - + and XINFO GROUPS s as redis-cli --raw does.
func renderStream(line func(string), s *types.Stream) {
	// redis-cli --raw prints an empty array as an empty line.
	if s.Len() == 0 {
		line("")
	}
	if s.GroupCount() == 0 {
		defer line("")
	}
	s.Range(types.StreamID{}, types.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}, false, func(e *types.StreamEntry) bool {
		line(e.ID.String())
		for _, x := range e.FV {
			line(x)
		}
		return true
	})
	s.EachGroup(func(name string, g *types.StreamGroup) bool {
		line("name")
		line(name)
		line("consumers")
		line(strconv.Itoa(g.Consumers.Len()))
		line("pending")
		line(strconv.Itoa(g.PEL.Len()))
		line("last-delivered-id")
		line(g.LastID.String())
		line("entries-read")
		if g.EntriesRead == types.InvalidEntriesRead {
			line("")
		} else {
			line(strconv.FormatInt(g.EntriesRead, 10))
		}
		line("lag")
		if lag, ok := s.Lag(g); ok {
			line(strconv.FormatInt(lag, 10))
		} else {
			line("")
		}
		return true
	})
}

func encodingOf(v keyspace.Value) string {
	if v.Obj == nil {
		return types.StringEncoding(v.Str)
	}
	return v.Obj.Encoding()
}

// sortedPairs renders a hash's pairs order-independently.
func sortedText(kind, text string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if kind != "hash" || len(lines) < 1 {
		return text
	}
	var pairs []string
	for i := 1; i+1 < len(lines); i += 2 {
		pairs = append(pairs, lines[i]+"\x00"+lines[i+1])
	}
	slices.Sort(pairs)
	return lines[0] + "\n" + strings.Join(pairs, "\n")
}

// TestGoldenRestore decodes every captured payload, checks the value and
// OBJECT ENCODING against what redis-server reported, and re-encodes it:
// byte-identical wherever the encoding is deterministic (everything but
// hashtable sets and hashes, whose order is the dict's).
func TestGoldenRestore(t *testing.T) {
	enc := NewEncoder(DefaultSettings())
	for _, g := range loadGoldens(t) {
		t.Run(g.name, func(t *testing.T) {
			v, err := ParseDump(g.payload, DefaultSettings())
			if err != nil {
				t.Fatalf("ParseDump: %v", err)
			}
			got := render(v)
			want, have := g.text, got
			if encodingOf(v) == "hashtable" {
				want, have = sortedText(v.Kind().String(), g.text), sortedText(v.Kind().String(), got)
			}
			if have != want {
				t.Fatalf("value differs\n got: %.300q\nwant: %.300q", have, want)
			}
			if e := encodingOf(v); e != g.enc {
				t.Fatalf("encoding %s, redis says %s", e, g.enc)
			}
			out, err := enc.AppendDump(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			if g.enc == "hashtable" {
				// Order differs; the payload must still decode to the same value.
				v2, err := ParseDump(out, DefaultSettings())
				if err != nil || sortedText(v.Kind().String(), render(v2)) != sortedText(v.Kind().String(), got) {
					t.Fatalf("re-encoded hashtable value differs: %v", err)
				}
				return
			}
			if !bytes.Equal(out, g.payload) {
				t.Fatalf("DUMP differs from redis-server\n got: %x\nwant: %x", out, g.payload)
			}
		})
	}
}

var _ = strconv.Itoa

// TestParseDumpView: every golden payload decodes to the same value with
// ParseDumpView, a string value aliases only the payload or the buffer
// returned, and an error is the same error.
func TestParseDumpView(t *testing.T) {
	var buf []byte
	for _, g := range loadGoldens(t) {
		want, werr := ParseDump(g.payload, DefaultSettings())
		payload := bytes.Clone(g.payload)
		got, nb, err := ParseDumpView(payload, DefaultSettings(), buf)
		buf = nb
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Fatalf("%s: error %v, ParseDump %v", g.name, err, werr)
		}
		if err != nil {
			continue
		}
		if render(got) != render(want) {
			t.Fatalf("%s: %q, ParseDump %q", g.name, render(got), render(want))
		}
		if got.Obj == nil && len(got.Str) > 0 {
			p := unsafe.Pointer(unsafe.StringData(got.Str))
			inPayload := uintptr(p) >= uintptr(unsafe.Pointer(&payload[0])) && uintptr(p) < uintptr(unsafe.Pointer(&payload[0]))+uintptr(len(payload))
			inBuf := cap(buf) > 0 && p == unsafe.Pointer(unsafe.SliceData(buf))
			if !inPayload && !inBuf {
				t.Fatalf("%s: string aliases neither the payload nor the buffer", g.name)
			}
			// A following parse must not change it through the decoder's state.
			s := strings.Clone(got.Str)
			ParseDump(g.payload, DefaultSettings())
			if got.Str != s {
				t.Fatalf("%s: string changed by another parse", g.name)
			}
		}
	}
	// A corrupt payload reports what ParseDump reports.
	if _, _, err := ParseDumpView([]byte("short"), DefaultSettings(), nil); err != ErrVersionOrChecksum {
		t.Fatalf("short payload: %v", err)
	}
}
