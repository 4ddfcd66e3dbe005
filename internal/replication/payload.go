package replication

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// EOFMarkLen is the length of the diskless payload's end marker
// (RDB_EOF_MARK_SIZE).
const EOFMarkLen = 40

// ErrBadPayload is returned for a full-sync preamble that is neither
// $<length> nor $EOF:<40 bytes>.
var ErrBadPayload = errors.New("bad protocol from MASTER, the first byte is not '$' (we received a bad bulk payload)")

// PayloadHeader is what precedes a full-sync RDB: its length, or the mark
// that follows its last byte (diskless transfers, whose length is not
// known in advance).
type PayloadHeader struct {
	Len  int64  // -1 with EOF-marker framing
	Mark []byte // the end marker, when Len is -1
}

// AppendPayloadHeader writes the preamble: "$<len>\r\n", or "$EOF:<mark>\r\n"
// when h.Len is -1.
func AppendPayloadHeader(dst []byte, h PayloadHeader) []byte {
	if h.Len < 0 {
		dst = append(dst, "$EOF:"...)
		dst = append(dst, h.Mark...)
		return append(dst, '\r', '\n')
	}
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, h.Len, 10)
	return append(dst, '\r', '\n')
}

// NewMark returns a random end marker.
func NewMark() []byte { return []byte(NewID()) }

// ReadPayloadHeader reads the preamble, skipping the newlines a master
// sends as keepalives while it prepares the payload. Anything else is an
// error: a '-' line is returned as the master's error text.
func ReadPayloadHeader(r *bufio.Reader) (PayloadHeader, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return PayloadHeader{}, ErrBadPayload
			}
			return PayloadHeader{}, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue // keepalive
		}
		switch line[0] {
		case '-':
			return PayloadHeader{}, fmt.Errorf("MASTER aborted replication with an error: %s", line[1:])
		case '$':
		default:
			return PayloadHeader{}, ErrBadPayload
		}
		if bytes.HasPrefix(line, []byte("$EOF:")) {
			mark := line[5:]
			if len(mark) != EOFMarkLen {
				return PayloadHeader{}, ErrBadPayload
			}
			return PayloadHeader{Len: -1, Mark: append([]byte(nil), mark...)}, nil
		}
		n, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil || n < 0 {
			return PayloadHeader{}, ErrBadPayload
		}
		return PayloadHeader{Len: n}, nil
	}
}

// Body returns a reader of the payload after h, which ends at its length
// or just before the end marker. For EOF-marker framing the reader holds
// back the last EOFMarkLen bytes it has seen until it knows they are not
// the marker; the source's stream ends where the marker ends.
func (h PayloadHeader) Body(r io.Reader) io.Reader {
	if h.Len >= 0 {
		return &exactReader{r: r, left: h.Len}
	}
	return &markReader{r: r, mark: h.Mark}
}

type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// markReader returns the bytes before the marker. buf holds bytes read
// but not yet returned; until the marker is seen the last EOFMarkLen of
// them are held back. The master sends nothing after the marker until the
// replica acknowledges the payload, so the marker is always the tail of
// what has been read when it completes.
type markReader struct {
	r     io.Reader
	mark  []byte
	buf   []byte
	ended bool // the marker was seen and cut off buf
}

func (m *markReader) Read(p []byte) (int, error) {
	for {
		if m.ended {
			if len(m.buf) == 0 {
				return 0, io.EOF
			}
			n := copy(p, m.buf)
			m.buf = m.buf[n:]
			return n, nil
		}
		if len(m.buf) > EOFMarkLen {
			n := copy(p, m.buf[:len(m.buf)-EOFMarkLen])
			m.buf = m.buf[:copy(m.buf, m.buf[n:])]
			return n, nil
		}
		if cap(m.buf) < 64<<10 {
			nb := make([]byte, len(m.buf), 64<<10)
			copy(nb, m.buf)
			m.buf = nb
		}
		n, err := m.r.Read(m.buf[len(m.buf):cap(m.buf)])
		m.buf = m.buf[:len(m.buf)+n]
		if len(m.buf) >= EOFMarkLen && bytes.Equal(m.buf[len(m.buf)-EOFMarkLen:], m.mark) {
			m.buf = m.buf[:len(m.buf)-EOFMarkLen]
			m.ended = true
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
}
