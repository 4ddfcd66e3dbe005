package replication

import (
	"bufio"
	"bytes"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
)

func TestPayloadRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, size := range []int{0, 1, 39, 40, 41, 1000, 200000} {
		body := make([]byte, size)
		rng.Read(body)
		for _, eof := range []bool{false, true} {
			h := PayloadHeader{Len: int64(size)}
			if eof {
				h = PayloadHeader{Len: -1, Mark: NewMark()}
			}
			var wire []byte
			wire = append(wire, "\n\n"...) // keepalives
			wire = AppendPayloadHeader(wire, h)
			wire = append(wire, body...)
			if eof {
				wire = append(wire, h.Mark...)
			}
			wire = append(wire, "*1\r\n$4\r\nPING\r\n"...) // the stream that follows
			// In EOF framing the master sends nothing after the marker until
			// the replica acknowledges: the source ends there.
			if eof {
				wire = wire[:len(wire)-len("*1\r\n$4\r\nPING\r\n")]
			}
			// One byte at a time is the hardest case for the marker search.
			br := bufio.NewReader(iotest.OneByteReader(bytes.NewReader(wire)))
			got, err := ReadPayloadHeader(br)
			if err != nil {
				t.Fatalf("size %d eof %v: header: %v", size, eof, err)
			}
			var src io.Reader = br
			data, err := io.ReadAll(got.Body(src))
			if err != nil {
				t.Fatalf("size %d eof %v: body: %v", size, eof, err)
			}
			if !bytes.Equal(data, body) {
				t.Fatalf("size %d eof %v: body differs (%d vs %d bytes)", size, eof, len(data), len(body))
			}
			if !eof {
				rest, _ := io.ReadAll(br)
				if string(rest) != "*1\r\n$4\r\nPING\r\n" {
					t.Fatalf("after a sized body the stream follows: %q", rest)
				}
			}
		}
	}
}

func TestPayloadHeaderErrors(t *testing.T) {
	for _, in := range []string{"+OK\r\n", "$abc\r\n", "$-5\r\n", "$EOF:short\r\n", "-ERR busy\r\n"} {
		if _, err := ReadPayloadHeader(bufio.NewReader(strings.NewReader(in))); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	// A body cut short is an error, not a short payload taken as whole.
	h := PayloadHeader{Len: 10}
	if _, err := io.ReadAll(h.Body(strings.NewReader("abc"))); err != io.ErrUnexpectedEOF {
		t.Errorf("short sized body: %v", err)
	}
	h = PayloadHeader{Len: -1, Mark: NewMark()}
	if _, err := io.ReadAll(h.Body(strings.NewReader(strings.Repeat("x", 100)))); err != io.ErrUnexpectedEOF {
		t.Errorf("body without its marker: %v", err)
	}
}

func TestCanContinue(t *testing.T) {
	h := History{ID: strings.Repeat("a", 40), ID2: strings.Repeat("b", 40), Offset2: 501}
	cases := []struct {
		id    string
		p     int64
		want  bool
		about string
	}{
		{h.ID, 1001, true, "at the end"},
		{h.ID, 200, true, "inside the backlog"},
		{h.ID, 100, false, "before the backlog"},
		{h.ID, 1002, false, "past the end"},
		{h.ID2, 501, true, "old history up to the switch"},
		{h.ID2, 502, false, "old history past the switch"},
		{strings.Repeat("c", 40), 500, false, "unknown history"},
		{"?", -1, false, "forced full sync"},
	}
	for _, c := range cases {
		if got := h.CanContinue(c.id, c.p, 150, 1000); got != c.want {
			t.Errorf("%s: got %v", c.about, got)
		}
	}
}

func FuzzPayload(f *testing.F) {
	f.Add([]byte("$5\r\nhello"))
	f.Add([]byte("\n$EOF:" + strings.Repeat("m", 40) + "\r\nbody" + strings.Repeat("m", 40)))
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		h, err := ReadPayloadHeader(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(h.Body(br), 1<<20))
	})
}
