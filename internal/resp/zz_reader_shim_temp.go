package resp

// Temporary shim until the real reader lands; replaced on merge.

import (
	"bytes"
	"strconv"
)

type Limits struct {
	MaxBulkLen      int64
	MaxInline       int
	Unauthenticated bool
}

type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

type Reader struct {
	Limits Limits
	args   [][]byte
}

func (r *Reader) Need() int { return 0 }

func (r *Reader) Next(buf []byte) ([][]byte, int, error) {
	r.args = r.args[:0]
	if len(buf) == 0 {
		return nil, 0, nil
	}
	if buf[0] != '*' {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return nil, 0, nil
		}
		line := bytes.TrimRight(buf[:i], "\r")
		for _, f := range bytes.Fields(line) {
			r.args = append(r.args, f)
		}
		return r.args, i + 1, nil
	}
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		return nil, 0, nil
	}
	n, err := strconv.Atoi(string(buf[1 : i-1]))
	if err != nil {
		return nil, 0, &ProtocolError{"ERR Protocol error: invalid multibulk length"}
	}
	pos := i + 1
	for j := 0; j < n; j++ {
		k := bytes.IndexByte(buf[pos:], '\n')
		if k < 0 {
			return nil, 0, nil
		}
		l, err := strconv.Atoi(string(buf[pos+1 : pos+k-1]))
		if err != nil {
			return nil, 0, &ProtocolError{"ERR Protocol error: invalid bulk length"}
		}
		pos += k + 1
		if len(buf) < pos+l+2 {
			return nil, 0, nil
		}
		r.args = append(r.args, buf[pos:pos+l])
		pos += l + 2
	}
	return r.args, pos, nil
}
