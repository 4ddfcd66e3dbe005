package rdb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

func seedPayloads(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/dumps/*.hex")
	var out [][]byte
	for _, fn := range files {
		h, _ := os.ReadFile(fn)
		if p, err := hex.DecodeString(strings.TrimSpace(string(h))); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// refooter gives a fuzzed body a valid footer, so the fuzzer explores the
// decoder rather than the checksum.
func refooter(body []byte) []byte {
	p := append(body[:len(body):len(body)], Version, 0)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

// FuzzParseDump: any payload is an error or a value; never a panic, and a
// value re-encodes to a payload that decodes again.
func FuzzParseDump(f *testing.F) {
	for _, p := range seedPayloads(f) {
		f.Add(p[:len(p)-10])
	}
	// RESTORE's way, REPLACE over the value restored before: the same
	// answer and, owned, the same value as ParseDump's.
	var r Restorer
	var prev keyspace.Value
	f.Fuzz(func(t *testing.T, body []byte) {
		payload := refooter(body)
		v, err := ParseDump(payload, DefaultSettings())
		rv, rerr := r.Parse(payload, DefaultSettings())
		if (err == nil) != (rerr == nil) {
			t.Fatalf("ParseDump: %v, Restorer: %v", err, rerr)
		}
		if err != nil {
			return
		}
		prev = r.Own(rv, prev)
		out, err := AppendDump(nil, v, DefaultSettings())
		if err != nil {
			t.Fatalf("decoded value does not encode: %v", err)
		}
		if rout, err := AppendDump(nil, prev, DefaultSettings()); err != nil || !bytes.Equal(rout, out) {
			t.Fatalf("restored value encodes to %q (%v), ParseDump's to %q", rout, err, out)
		}
		if _, err := ParseDump(out, DefaultSettings()); err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		// A restored list keeps its listpacks as they came: every
		// operation must work on whatever validation let through.
		if l, ok := v.Obj.(*types.List); ok {
			n := l.Len()
			if got := len(l.Elements()); got != n {
				t.Fatalf("list of %d elements walks %d", n, got)
			}
			l.RangeReverse(0, n-1, func([]byte) bool { return true })
			l.Index(int64(n/2), nil)
			l.Insert(n/2, []byte("x"), true, types.DefaultLimits())
			l.Remove([]byte("1"), 0)
			l.PopFront(nil)
			l.PopBack(nil)
			l.Trim(1, l.Len()-2)
		}
	})
}

// FuzzReader: any file is read to an error or io.EOF, never a panic.
func FuzzReader(f *testing.F) {
	// One small file per golden payload: Go's fuzzer slows to a few
	// inputs a second on a corpus entry of tens of KB (all payloads in
	// one 67 KB file ran 6 inputs in a minute).
	for i, p := range seedPayloads(f) {
		v, err := ParseDump(p, DefaultSettings())
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		w := NewWriter(&buf, DefaultSettings(), true)
		w.Header()
		w.AuxFields(AuxInfo{RedisVer: "7.0.15", Bits: 64})
		w.SelectDB(0)
		w.Entry([]byte{byte('a' + i%26), byte(i)}, v, int64(i)-1)
		w.Close()
		if buf.Len() <= 4096 {
			f.Add(buf.Bytes())
		}
	}
	f.Add([]byte("REDIS0009\xfe\x00\x00\x01k\x01v\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := NewReader(bytes.NewReader(b), DefaultSettings())
		for i := 0; ; i++ {
			_, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				return
			}
			if i > len(b) {
				t.Fatalf("more items than bytes")
			}
		}
	})
}
