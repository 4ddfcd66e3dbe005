package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to Buf in the protocol version Proto (2 or 3).
// Callers flush Buf themselves; the writer never does I/O, so the same code
// builds replies for sockets, MULTI/EXEC batches and tests.
type Writer struct {
	Buf   []byte
	Proto int
}

// Reset empties the buffer but keeps its capacity.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }

// Len is the number of bytes waiting to be flushed.
func (w *Writer) Len() int { return len(w.Buf) }

func (w *Writer) prefix(c byte, n int64) {
	w.Buf = append(w.Buf, c)
	if n >= 0 && n < 10 {
		w.Buf = append(w.Buf, byte('0'+n), '\r', '\n')
		return
	}
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Simple writes a status reply (+s). s must not contain CR or LF.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Error writes an error reply. msg is the full text after '-', e.g.
// "ERR unknown command" or "WRONGTYPE Operation ...". CR/LF are replaced by
// spaces as Redis does, so a reply can never be split.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	switch n {
	case 0:
		w.Buf = append(w.Buf, ":0\r\n"...)
	case 1:
		w.Buf = append(w.Buf, ":1\r\n"...)
	default:
		w.prefix(':', n)
	}
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.prefix('$', int64(len(b)))
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString writes a bulk string from a Go string.
func (w *Writer) BulkString(s string) {
	w.prefix('$', int64(len(s)))
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt writes n as a bulk string (as Redis does for some integer values).
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null reply: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "$-1\r\n"...)
}

// NullArray writes the null array: *-1 in RESP2, _ in RESP3.
func (w *Writer) NullArray() {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "*-1\r\n"...)
}

// Array writes an array header of n elements.
func (w *Writer) Array(n int) { w.prefix('*', int64(n)) }

// Map writes a map header of n key/value pairs (RESP3 %), or an array of
// 2n elements in RESP2.
func (w *Writer) Map(n int) {
	if w.Proto >= 3 {
		w.prefix('%', int64(n))
		return
	}
	w.prefix('*', int64(2*n))
}

// Set writes a set header (RESP3 ~), or an array in RESP2.
func (w *Writer) Set(n int) {
	if w.Proto >= 3 {
		w.prefix('~', int64(n))
		return
	}
	w.prefix('*', int64(n))
}

// Push writes a push header (RESP3 >), or an array in RESP2.
func (w *Writer) Push(n int) {
	if w.Proto >= 3 {
		w.prefix('>', int64(n))
		return
	}
	w.prefix('*', int64(n))
}

// Attribute-free boolean: RESP3 #t/#f, RESP2 :1/:0.
func (w *Writer) Bool(b bool) {
	if w.Proto >= 3 {
		if b {
			w.Buf = append(w.Buf, "#t\r\n"...)
		} else {
			w.Buf = append(w.Buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double writes a floating point reply: RESP3 ",", RESP2 a bulk string,
// formatted as Redis formats doubles (%.17g, inf, -inf, nan).
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	b := AppendDouble(tmp[:0], f)
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, b...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Bulk(b)
}

// Verbatim writes a verbatim string (RESP3 =, format "txt"), a bulk string in RESP2.
func (w *Writer) Verbatim(s string) {
	if w.Proto >= 3 {
		w.prefix('=', int64(len(s)+4))
		w.Buf = append(w.Buf, "txt:"...)
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends pre-encoded protocol bytes.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// AppendDouble formats f the way Redis 7.0 replies with doubles
// (addReplyDouble: "%.17g", with inf/-inf/nan spelled out).
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return appendG17(dst, f)
}

// appendG17 mimics C's printf("%.17g").
func appendG17(dst []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// %g uses scientific notation when exp < -4 or exp >= precision.
	s := strconv.FormatFloat(f, 'e', 16, 64)
	// recompute exponent from the formatted string (rounding may change it)
	if i := indexByte(s, 'e'); i >= 0 {
		e, _ := strconv.Atoi(s[i+1:])
		exp = e
	}
	if exp < -4 || exp >= 17 {
		// mantissa with trailing zeros removed, exponent at least 2 digits
		i := indexByte(s, 'e')
		mant := trimZeros(s[:i])
		dst = append(dst, mant...)
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	return append(dst, trimZeros(strconv.FormatFloat(f, 'f', 16-exp, 64))...)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimZeros(s string) string {
	if indexByte(s, '.') < 0 {
		return s
	}
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return s[:i]
}
