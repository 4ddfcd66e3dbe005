package resp

import (
	"testing"
)

// fuzzLimits picks the Reader's limits from one fuzz byte, so the small
// limits (and their errors) are reachable with small inputs.
func fuzzLimits(mode uint8) Limits {
	switch mode % 4 {
	case 1:
		return Limits{Unauthenticated: true}
	case 2:
		return Limits{MaxInline: 8, MaxBulkLen: 16}
	case 3:
		return Limits{MaxInline: 3, MaxBulkLen: 1, Unauthenticated: true}
	}
	return Limits{}
}

// FuzzReader parses the input whole, then split at a fuzz-chosen point, then
// (when small) one byte at a time, and expects the same commands and the
// same error or leftover. Only the "too big" errors may come earlier when
// the input trickles in, as they do in Redis.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
		"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
		"*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$0\r\n\r\n",
		"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
		"*2\r\n$4\r\nECHO\r\n$6\r\n\x00\r\n\xff*$\r\n",
		"PING\r\n",
		"SET a b\nGET a\n",
		"\r\n\n  \r\nPING\n",
		`SET "a b" "\x41\n\\\"" 'it\'s' ""` + "\r\n",
		"ECHO \"a\"b\r\n",
		"ECHO 'a\r\n",
		"ECHO a\x0bb \"c\"\x0cd\r\n",
		"*0\r\n*-1\r\n",
		"*1\rx$4\rxPINGxy",
		"*-0\r\n",
		"*2147483648\r\n",
		"*11\r\n",
		"*1\r\n$16385\r\n",
		"*1\r\nX3\r\n",
		"*1\r\n\r\n",
		"*1\r\n$-1\r\n",
		"*1\r\n$99999999999999999999\r\n",
		"*1\x00\r\n$4\r\nPING\r\n",
		"PI\x00NG\r\n",
		"*1\r\n$123456789",
		"PING\r\n*1\r\n$4\r\nPING\r\nGET a\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint16(len(s)/2), uint8(i))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16, mode uint8) {
		lim := fuzzLimits(mode)
		r := &Reader{Limits: lim}
		maxInline := r.maxInline()
		whole := parseWhole(t, &Reader{Limits: lim}, in)
		at := int(cut) % (len(in) + 1)
		if got := parseSplit(t, r, in, []int{at}); !sameOutcome(whole, got, len(in), maxInline) {
			t.Fatalf("cut at %d:\ngot  %v\nwant %v", at, got, whole)
		}
		if len(in) <= 512 {
			every := make([]int, len(in))
			for i := range every {
				every[i] = i
			}
			r.Reset()
			if got := parseSplit(t, r, in, every); !sameOutcome(whole, got, len(in), maxInline) {
				t.Fatalf("byte at a time:\ngot  %v\nwant %v", got, whole)
			}
		}
	})
}

// FuzzPeekKeyArg checks the prefetch peek against the Reader: whenever
// PeekKeyArg finds a frame and the Reader parses the same bytes without
// error, both agree on the frame's length and its second argument. The
// peek may accept frames the Reader refuses (it checks less), never the
// other way round for a frame of two or more arguments it can see whole.
func FuzzPeekKeyArg(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
		"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxxx\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
		"*1\r\n$4\r\nPING\r\n",
		"*2\r\n$3\r\nGET\r\n$3\r\nke",
		"*2\r\n$03\r\nGET\r\n$3\r\nkey\r\n",
		"GET key\r\n",
		"*2\r\n$3\r\nGET\r\n$-1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		arg, n := PeekKeyArg(in)
		if n < 0 || n > len(in) {
			t.Fatalf("n=%d for %d bytes", n, len(in))
		}
		r := &Reader{}
		args, m, err := r.Next(in)
		if err != nil || m == 0 || len(in) == 0 || in[0] != '*' {
			return
		}
		if len(args) >= 2 && len(args) <= 1024 {
			if n != m || string(arg) != string(args[1]) {
				t.Fatalf("peek (%q, %d), reader (%q, %d)", arg, n, args[1], m)
			}
		} else if n != 0 {
			t.Fatalf("peek found a key in a frame of %d arguments", len(args))
		}
	})
}
