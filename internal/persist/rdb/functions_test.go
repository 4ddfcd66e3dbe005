package rdb

import (
	"bytes"
	"strings"
	"testing"
)

func TestFunctionsDumpRoundTrip(t *testing.T) {
	codes := [][]byte{[]byte("#!lua name=a\n" + strings.Repeat("redis.register_function ", 10)), []byte("#!lua name=b\n"), []byte("12345")}
	for _, compress := range []bool{true, false} {
		s := DefaultSettings()
		s.Compress = compress
		p := AppendFunctionsDump(nil, codes, s)
		got, err := ParseFunctionsDump(p)
		if err != nil || len(got) != len(codes) {
			t.Fatalf("compress %v: %q %v", compress, got, err)
		}
		for i := range codes {
			if !bytes.Equal(got[i], codes[i]) {
				t.Fatalf("compress %v: code %d = %q", compress, i, got[i])
			}
		}
	}
	if _, err := ParseFunctionsDump([]byte("short")); err != ErrVersionOrChecksum {
		t.Fatalf("short payload: %v", err)
	}
	p := AppendFunctionsDump(nil, nil, DefaultSettings())
	if got, err := ParseFunctionsDump(p); err != nil || len(got) != 0 {
		t.Fatalf("empty dump: %q %v", got, err)
	}
}

// FuzzParseFunctionsDump: FUNCTION RESTORE's payload parser never panics,
// and what it accepts it re-dumps to the same codes.
func FuzzParseFunctionsDump(f *testing.F) {
	f.Add(AppendFunctionsDump(nil, [][]byte{[]byte("#!lua name=x\n" + strings.Repeat("abc", 30))}, DefaultSettings()))
	f.Add([]byte{0xf5, 0xc3, 0x05, 0x06, 0x00, 'a', 0xe0, 0x00, 0x00, 10, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		codes, err := ParseFunctionsDump(p)
		if err != nil {
			return
		}
		again, err := ParseFunctionsDump(AppendFunctionsDump(nil, codes, DefaultSettings()))
		if err != nil || len(again) != len(codes) {
			t.Fatalf("re-dump: %v", err)
		}
		for i := range codes {
			if !bytes.Equal(again[i], codes[i]) {
				t.Fatalf("code %d differs", i)
			}
		}
	})
}
