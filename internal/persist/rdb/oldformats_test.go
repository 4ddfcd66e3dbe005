package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Payloads in the encodings Redis 7.0 only reads (written by Redis ≤ 6.2
// and 2.x), built here from the documented formats. When redis-server is
// installed each payload is also RESTOREd there, so the builders are
// checked against Redis's own validators.

// payload wraps an encoded value with the DUMP footer of RDB version ver.
func payload(typ byte, body []byte, ver uint16) []byte {
	p := append([]byte{typ}, body...)
	p = binary.LittleEndian.AppendUint16(p, ver)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

func rawString(s string) []byte { return append(AppendLen(nil, uint64(len(s))), s...) }

// ziplist builds a ziplist the way Redis ≤ 6.2 encodes entries.
func ziplist(elems ...string) []byte {
	var body []byte
	prev := 0
	tail := 10
	for _, e := range elems {
		start := len(body)
		tail = 10 + start
		if prev < 254 {
			body = append(body, byte(prev))
		} else {
			body = append(body, 0xFE)
			body = binary.LittleEndian.AppendUint32(body, uint32(prev))
		}
		if v, ok := parseZLInt(e); ok {
			switch {
			case v >= 0 && v <= 12:
				body = append(body, 0xF1+byte(v))
			case v >= math.MinInt8 && v <= math.MaxInt8:
				body = append(body, 0xFE, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				body = append(body, 0xC0)
				body = binary.LittleEndian.AppendUint16(body, uint16(v))
			case v >= -(1<<23) && v < 1<<23:
				body = append(body, 0xF0, byte(v), byte(v>>8), byte(v>>16))
			case v >= math.MinInt32 && v <= math.MaxInt32:
				body = append(body, 0xD0)
				body = binary.LittleEndian.AppendUint32(body, uint32(v))
			default:
				body = append(body, 0xE0)
				body = binary.LittleEndian.AppendUint64(body, uint64(v))
			}
		} else {
			switch n := len(e); {
			case n < 64:
				body = append(body, byte(n))
			case n < 16384:
				body = append(body, 0x40|byte(n>>8), byte(n))
			default:
				body = append(body, 0x80)
				body = binary.BigEndian.AppendUint32(body, uint32(n))
			}
			body = append(body, e...)
		}
		prev = len(body) - start
	}
	zl := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	zl = binary.LittleEndian.AppendUint32(zl, uint32(tail))
	zl = binary.LittleEndian.AppendUint16(zl, uint16(len(elems)))
	zl = append(zl, body...)
	return append(zl, 0xFF)
}

func parseZLInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && strconv.FormatInt(v, 10) == s
}

// zipmap builds a Redis 2.x zipmap.
func zipmap(pairs ...string) []byte {
	zm := []byte{byte(len(pairs) / 2)}
	l := func(n int) {
		if n < 254 {
			zm = append(zm, byte(n))
		} else {
			zm = append(zm, 254)
			zm = binary.LittleEndian.AppendUint32(zm, uint32(n))
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		l(len(pairs[i]))
		zm = append(zm, pairs[i]...)
		l(len(pairs[i+1]))
		zm = append(zm, 2) // two free bytes after the value
		zm = append(zm, pairs[i+1]...)
		zm = append(zm, 0, 0)
	}
	return append(zm, 0xFF)
}

func oldDouble(f float64) []byte {
	switch {
	case math.IsNaN(f):
		return []byte{253}
	case math.IsInf(f, 1):
		return []byte{254}
	case math.IsInf(f, -1):
		return []byte{255}
	}
	s := strconv.FormatFloat(f, 'g', 17, 64)
	return append([]byte{byte(len(s))}, s...)
}

func TestOldFormats(t *testing.T) {
	bigElems := make([]string, 0, 1200)
	for i := 0; i < 600; i++ {
		bigElems = append(bigElems, "e"+strconv.Itoa(i), strconv.Itoa(i*7))
	}
	long := strings.Repeat("z", 300)
	var oldZSet []byte
	oldZSet = AppendLen(oldZSet, 4)
	for _, e := range []struct {
		m string
		s float64
	}{{"a", 1.5}, {"b", math.Inf(1)}, {"c", math.Inf(-1)}, {"d", -2}} {
		oldZSet = append(oldZSet, rawString(e.m)...)
		oldZSet = append(oldZSet, oldDouble(e.s)...)
	}
	var linked []byte
	linked = AppendLen(linked, 3)
	linked = append(linked, rawString("x")...)
	linked, _ = appendIntEncoded(linked, 300)
	linked = append(linked, rawString("z")...)
	var plainSet []byte
	plainSet = AppendLen(plainSet, 3)
	for _, m := range []string{"1", "2", "x"} {
		plainSet = append(plainSet, rawString(m)...)
	}
	var plainHash []byte
	plainHash = AppendLen(plainHash, 2)
	for _, m := range []string{"f", "v", "g", "w"} {
		plainHash = append(plainHash, rawString(m)...)
	}
	var ql1 []byte
	ql1 = AppendLen(ql1, 2)
	ql1 = append(ql1, rawString(string(ziplist("a", "b", "1")))...)
	ql1 = append(ql1, rawString(string(ziplist("-70000", long, "5000000000")))...)

	cases := []struct {
		name, enc, want string
		p               []byte
	}{
		{"list ziplist", "quicklist", "list\na\n12\n-1\n300\n70000\n-70000\n5000000000\n" + long + "\n",
			payload(TypeListZiplist, rawString(string(ziplist("a", "12", "-1", "300", "70000", "-70000", "5000000000", long))), 9)},
		{"quicklist v1", "quicklist", "list\na\nb\n1\n-70000\n" + long + "\n5000000000\n", payload(TypeListQuicklist, ql1, 9)},
		{"hash ziplist", "listpack", "hash\nf1\nv1\nn\n42\n", payload(TypeHashZiplist, rawString(string(ziplist("f1", "v1", "n", "42"))), 9)},
		{"hash ziplist big", "hashtable", "", payload(TypeHashZiplist, rawString(string(ziplist(bigElems...))), 9)},
		{"zset ziplist", "listpack", "zset\nc\n-inf\nb\n-2\na\n1.5\nd\ninf\n",
			payload(TypeZSetZiplist, rawString(string(ziplist("a", "1.5", "b", "-2", "c", "-inf", "d", "inf"))), 9)},
		{"zset ziplist big", "skiplist", "", payload(TypeZSetZiplist, rawString(string(ziplist(bigElems[:2*150]...))), 9)},
		{"zipmap", "listpack", "hash\nname\nshoal\nn\n7\n", payload(TypeHashZipmap, rawString(string(zipmap("name", "shoal", "n", "7"))), 3)},
		{"zipmap long value", "hashtable", "hash\nk\n" + long + "\n", payload(TypeHashZipmap, rawString(string(zipmap("k", long))), 3)},
		{"old zset", "listpack", "zset\nc\n-inf\nd\n-2\na\n1.5\nb\ninf\n", payload(TypeZSet, oldZSet, 6)},
		{"linked list", "quicklist", "list\nx\n300\nz\n", payload(TypeList, linked, 6)},
		{"plain set", "hashtable", "set\n1\n2\nx\n", payload(TypeSet, plainSet, 6)},
		{"plain hash small", "listpack", "hash\nf\nv\ng\nw\n", payload(TypeHash, plainHash, 6)},
		{"string v9", "embstr", "string\nold\n", payload(TypeString, rawString("old"), 9)},
	}
	var c *testutil.Conn
	if testutil.RedisBinary() != "" {
		c = testutil.StartRedis(t).Dial(t)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseDump(tc.p, DefaultSettings())
			if err != nil {
				t.Fatalf("ParseDump: %v", err)
			}
			if e := encodingOf(v); e != tc.enc {
				t.Errorf("encoding %s, want %s", e, tc.enc)
			}
			if tc.want != "" && render(v) != tc.want {
				t.Errorf("got %q\nwant %q", render(v), tc.want)
			}
			if c == nil {
				return
			}
			if r := c.MustDo(t, "RESTORE", tc.name, "0", string(tc.p)); r.IsError() {
				t.Fatalf("redis-server refuses the payload: %s", r.Str)
			}
			if e := c.MustDo(t, "OBJECT", "ENCODING", tc.name); string(e.Str) != tc.enc {
				t.Errorf("redis-server says encoding %s, we %s", e.Str, tc.enc)
			}
			// The value as Redis has it, re-dumped, decodes to ours.
			d := c.MustDo(t, "DUMP", tc.name)
			v2, err := ParseDump(d.Str, DefaultSettings())
			if err != nil {
				t.Fatal(err)
			}
			k := v.Kind().String()
			if sortedText(k, render(v2)) != sortedText(k, render(v)) {
				t.Errorf("redis has %q\nwe have %q", render(v2), render(v))
			}
		})
	}
}

// TestRefused: values Shoal does not store and malformed payloads give
// RESTORE's errors, never a partial value.
func TestRefused(t *testing.T) {
	good := payload(TypeString, rawString("x"), 10)
	cases := []struct {
		name   string
		p      []byte
		want   error
		reason string // what Redis logs for it
	}{
		{"short", []byte{1, 2, 3}, ErrVersionOrChecksum, ""},
		{"version 11", payload(TypeString, rawString("x"), 11), ErrVersionOrChecksum, ""},
		{"crc", append(good[:len(good)-1:len(good)-1], good[len(good)-1]^1), ErrVersionOrChecksum, ""},
		{"truncated stream", payload(TypeStreamListpacks2, AppendLen(nil, 0), 10), ErrBadData, ""},
		{"module", payload(TypeModule2, AppendLen(nil, 0), 10), ErrUnsupportedType, ""},
		{"type 8", payload(8, nil, 10), ErrBadData, ""},
		{"type 20", payload(20, nil, 10), ErrBadData, ""},
		{"empty list", payload(TypeListQuicklist2, AppendLen(nil, 0), 10), ErrEmptyKey, ""},
		{"huge count", payload(TypeSet, AppendLen(nil, 1<<60), 10), ErrBadData, ""},
		{"huge string", payload(TypeString, AppendLen(nil, 1<<40), 10), ErrBadData, ""},
		{"dup set", payload(TypeSet, append(AppendLen(nil, 2), append(rawString("a"), rawString("a")...)...), 10), ErrBadData, "Duplicate set members detected"},
		{"nan score", payload(TypeZSet, append(AppendLen(nil, 1), append(rawString("a"), 253)...), 10), ErrBadData, "Zset with NAN score detected"},
		{"odd hash listpack", payload(TypeHashListpack, rawString(string(oddListpack())), 10), ErrBadData, "Hash listpack integrity check failed."},
		{"listpack count", payload(TypeHashListpack, rawString(string(wrongCount(listpackOf("a", "b")))), 10), ErrBadData, "Hash listpack integrity check failed."},
		{"ziplist count", payload(TypeListZiplist, rawString(string(wrongZLCount(ziplist("a", "b")))), 10), ErrBadData, "List ziplist integrity check failed."},
		{"ziplist tail", payload(TypeListZiplist, rawString(string(wrongZLTail(ziplist("a", "b")))), 10), ErrBadData, "List ziplist integrity check failed."},
		{"empty zipmap", payload(TypeHashZipmap, rawString("\x00\xff"), 10), ErrBadData, "Zipmap integrity check failed."},
		{"zipmap count", payload(TypeHashZipmap, rawString("\x02\x01a\x01\x00b\xff"), 10), ErrBadData, "Zipmap integrity check failed."},
	}
	for _, tc := range cases {
		_, err := ParseDump(tc.p, DefaultSettings())
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if r := CorruptReason(err); r != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.name, r, tc.reason)
		}
	}
}

// wrongCount sets a listpack's element count one too high.
func wrongCount(lp []byte) []byte {
	binary.LittleEndian.PutUint16(lp[4:], binary.LittleEndian.Uint16(lp[4:])+1)
	return lp
}

// wrongZLCount sets a ziplist's zllen one too high.
func wrongZLCount(zl []byte) []byte {
	binary.LittleEndian.PutUint16(zl[8:], binary.LittleEndian.Uint16(zl[8:])+1)
	return zl
}

// wrongZLTail points a ziplist's zltail at its first entry.
func wrongZLTail(zl []byte) []byte {
	binary.LittleEndian.PutUint32(zl[4:], 10)
	return zl
}

func oddListpack() []byte {
	var b lpBuilder
	b.reset(nil)
	b.appendStr([]byte("only"))
	return b.finish()
}

func listpackOf(elems ...string) []byte {
	var b lpBuilder
	b.reset(nil)
	for _, e := range elems {
		b.appendStr([]byte(e))
	}
	return b.finish()
}

// TestListpackPairs: duplicate fields and members are refused at any size;
// a zset listpack out of order is put in order.
func TestListpackPairs(t *testing.T) {
	var pairs []string
	for i := 0; i < 20; i++ {
		pairs = append(pairs, "f"+strconv.Itoa(i), strconv.Itoa(20-i))
	}
	dup := append(append([]string(nil), pairs...), "f7", "x")
	for _, typ := range []byte{TypeHashListpack, TypeZSetListpack} {
		if _, err := ParseDump(payload(typ, rawString(string(listpackOf(pairs...))), 10), DefaultSettings()); err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
		if _, err := ParseDump(payload(typ, rawString(string(listpackOf(dup[:6]...))+""), 10), DefaultSettings()); err != nil {
			t.Fatalf("type %d small: %v", typ, err)
		}
		dupScore := append(append([]string(nil), pairs...), "f7", "1")
		if _, err := ParseDump(payload(typ, rawString(string(listpackOf(dupScore...))), 10), DefaultSettings()); !errors.Is(err, ErrBadData) {
			t.Fatalf("type %d with a duplicate: %v", typ, err)
		}
		small := []string{"a", "1", "b", "2", "a", "3"}
		if _, err := ParseDump(payload(typ, rawString(string(listpackOf(small...))), 10), DefaultSettings()); !errors.Is(err, ErrBadData) {
			t.Fatalf("type %d with a small duplicate: %v", typ, err)
		}
	}
	// pairs' scores descend: loaded in ascending order.
	v, err := ParseDump(payload(TypeZSetListpack, rawString(string(listpackOf(pairs...))), 10), DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if got := render(v); !strings.HasPrefix(got, "zset\nf19\n1\nf18\n2\n") {
		t.Fatalf("unsorted listpack loaded as %q", got)
	}
}
