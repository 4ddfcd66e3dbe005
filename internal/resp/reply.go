package resp

// Client side: reading the replies a server sends. Tests and tools use this
// to talk to redis-server and shoal-server alike, so it keeps the raw bytes
// of every frame for byte-for-byte comparison.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Kind is the RESP type byte that starts a reply frame.
type Kind byte

// The reply kinds of RESP2 and RESP3.
const (
	KindSimple    Kind = '+' // simple string
	KindError     Kind = '-' // simple error
	KindInt       Kind = ':' // integer
	KindBulk      Kind = '$' // bulk string ($-1 is the RESP2 null bulk)
	KindArray     Kind = '*' // array (*-1 is the RESP2 null array)
	KindNull      Kind = '_' // RESP3 null
	KindDouble    Kind = ',' // RESP3 double; Str holds its text
	KindBool      Kind = '#' // RESP3 boolean; Int is 1 or 0
	KindBlobError Kind = '!' // RESP3 bulk error
	KindVerbatim  Kind = '=' // RESP3 verbatim string; Str holds "fmt:text"
	KindBigNumber Kind = '(' // RESP3 big number; Str holds its digits
	KindMap       Kind = '%' // RESP3 map; Elems holds k1, v1, k2, v2, ...
	KindSet       Kind = '~' // RESP3 set
	KindPush      Kind = '>' // RESP3 out-of-band push
	KindAttribute Kind = '|' // RESP3 attribute; never returned alone, see Value.Attrs
)

// Limits that keep a hostile or broken peer from making the reader allocate
// without bound. They are far above anything Redis sends by default
// (proto-max-bulk-len is 512 MB).
const (
	MaxReplyBulkLen  = 1 << 30
	MaxReplyElements = 1 << 24
	MaxReplyDepth    = 64
)

// ErrReplyProtocol is wrapped by every error ReadReply returns for bytes that
// are not a well-formed reply.
var ErrReplyProtocol = errors.New("resp: malformed reply")

// Value is one decoded reply.
type Value struct {
	Kind Kind
	// Str holds the payload of simple strings, errors, bulk strings,
	// doubles, big numbers, verbatim strings and blob errors.
	Str []byte
	// Int holds integers and booleans (1 for true).
	Int int64
	// Elems holds the elements of arrays, sets and pushes, and the keys
	// and values of maps, alternating: k1, v1, k2, v2, ...
	Elems []Value
	// Null is set for _, $-1 and *-1.
	Null bool
	// Attrs holds the keys and values (alternating) of a RESP3 attribute
	// frame (|) that preceded this value; the attribute is part of the
	// value's raw frame.
	Attrs []Value
}

// IsError reports whether v is a simple or blob error.
func (v Value) IsError() bool { return v.Kind == KindError || v.Kind == KindBlobError }

// ReadReply reads one complete reply from r and returns it with the raw
// bytes of the whole frame (including any attribute prefix). The returned
// slices do not alias r's buffer. On a malformed frame the error wraps
// ErrReplyProtocol; I/O errors (io.EOF, timeouts) are returned as they are.
func ReadReply(r *bufio.Reader) (Value, []byte, error) {
	rr := replyReader{r: r}
	v, err := rr.value(0)
	if err != nil {
		return Value{}, rr.raw, err
	}
	return v, rr.raw, nil
}

type replyReader struct {
	r   *bufio.Reader
	raw []byte
}

// replyError is a malformed-frame error; it matches ErrReplyProtocol.
type replyError struct{ msg string }

func (e *replyError) Error() string { return ErrReplyProtocol.Error() + ": " + e.msg }
func (e *replyError) Unwrap() error { return ErrReplyProtocol }

// replyProtoErr builds the error without fmt, which would pull os into this
// leaf package (and into the pure cluster core that imports it).
func replyProtoErr(msg string) error { return &replyError{msg} }

// line reads up to and including CRLF, appends it to raw and returns it
// without the CRLF.
func (rr *replyReader) line() ([]byte, error) {
	start := len(rr.raw)
	for {
		chunk, err := rr.r.ReadSlice('\n')
		rr.raw = append(rr.raw, chunk...)
		if err == bufio.ErrBufferFull {
			if len(rr.raw)-start > MaxReplyBulkLen {
				return nil, replyProtoErr("line too long")
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	l := rr.raw[start:]
	if len(l) < 2 || l[len(l)-2] != '\r' {
		return nil, replyProtoErr("line not terminated by CRLF: " + strconv.Quote(string(l)))
	}
	return l[:len(l)-2], nil
}

func replyParseInt(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, replyProtoErr("bad integer " + strconv.Quote(string(b)))
	}
	return n, nil
}

func (rr *replyReader) value(depth int) (Value, error) {
	if depth > MaxReplyDepth {
		return Value{}, replyProtoErr("nesting deeper than " + strconv.Itoa(MaxReplyDepth))
	}
	l, err := rr.line()
	if err != nil {
		return Value{}, err
	}
	if len(l) == 0 {
		return Value{}, replyProtoErr("empty line")
	}
	k, body := Kind(l[0]), l[1:]
	v := Value{Kind: k}
	switch k {
	case KindSimple, KindError, KindDouble, KindBigNumber:
		v.Str = bytes.Clone(body)
		if v.Str == nil {
			v.Str = []byte{}
		}
		if k == KindDouble {
			if _, err := strconv.ParseFloat(replyDoubleText(body), 64); err != nil {
				return Value{}, replyProtoErr("bad double " + strconv.Quote(string(body)))
			}
		}
		if k == KindBigNumber {
			if !replyIsBigNumber(body) {
				return Value{}, replyProtoErr("bad big number " + strconv.Quote(string(body)))
			}
		}
	case KindInt:
		if v.Int, err = replyParseInt(body); err != nil {
			return Value{}, err
		}
	case KindNull:
		if len(body) != 0 {
			return Value{}, replyProtoErr("bad null " + strconv.Quote(string(l)))
		}
		v.Null = true
	case KindBool:
		switch string(body) {
		case "t":
			v.Int = 1
		case "f":
		default:
			return Value{}, replyProtoErr("bad boolean " + strconv.Quote(string(l)))
		}
	case KindBulk, KindBlobError, KindVerbatim:
		n, err := replyParseInt(body)
		if err != nil {
			return Value{}, err
		}
		if n == -1 && k == KindBulk {
			v.Null = true
			return v, nil
		}
		if n < 0 || n > MaxReplyBulkLen {
			return Value{}, replyProtoErr("bad length " + strconv.FormatInt(int64(n), 10))
		}
		if err := rr.payload(int(n)); err != nil {
			return Value{}, err
		}
		v.Str = bytes.Clone(rr.raw[len(rr.raw)-int(n)-2 : len(rr.raw)-2])
		if k == KindVerbatim && (n < 4 || v.Str[3] != ':') {
			return Value{}, replyProtoErr("verbatim string without format")
		}
	case KindArray, KindSet, KindPush, KindMap, KindAttribute:
		n, err := replyParseInt(body)
		if err != nil {
			return Value{}, err
		}
		if n == -1 && k == KindArray {
			v.Null = true
			return v, nil
		}
		if n < 0 || n > MaxReplyElements {
			return Value{}, replyProtoErr("bad element count " + strconv.FormatInt(int64(n), 10))
		}
		if k == KindMap || k == KindAttribute {
			n *= 2
		}
		v.Elems = make([]Value, 0, min(n, 1024))
		for range n {
			e, err := rr.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		if k == KindAttribute {
			// An attribute annotates the value that follows it.
			next, err := rr.value(depth)
			if err != nil {
				return Value{}, err
			}
			next.Attrs = append(v.Elems, next.Attrs...)
			return next, nil
		}
	default:
		return Value{}, replyProtoErr("unknown type byte " + strconv.QuoteRune(rune(l[0])))
	}
	return v, nil
}

// payload reads n bytes plus CRLF into raw.
func (rr *replyReader) payload(n int) error {
	start := len(rr.raw)
	rr.raw = append(rr.raw, make([]byte, n+2)...)
	if _, err := io.ReadFull(rr.r, rr.raw[start:]); err != nil {
		return err
	}
	if rr.raw[len(rr.raw)-2] != '\r' || rr.raw[len(rr.raw)-1] != '\n' {
		return replyProtoErr("payload not terminated by CRLF")
	}
	return nil
}

// replyDoubleText maps RESP3's spellings of infinities and NaN to ones
// strconv accepts.
func replyDoubleText(b []byte) string {
	switch s := string(b); s {
	case "inf", "+inf":
		return "+Inf"
	case "-inf":
		return "-Inf"
	case "nan", "-nan":
		return "NaN"
	default:
		return s
	}
}

func replyIsBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Float returns the numeric value of an integer, double, big number or
// (numeric) bulk/simple string reply.
func (v Value) Float() (float64, bool) {
	switch v.Kind {
	case KindInt, KindBool:
		return float64(v.Int), true
	case KindDouble, KindBulk, KindSimple, KindBigNumber, KindVerbatim:
		if v.Null {
			return 0, false
		}
		f, err := strconv.ParseFloat(replyDoubleText(v.Str), 64)
		return f, err == nil
	}
	return 0, false
}

// AppendValue appends the wire encoding of v (with its attributes) to dst.
// Reading the result back with ReadReply yields v again, and the raw frame
// ReadReply returned for v is reproduced exactly.
func AppendValue(dst []byte, v Value) []byte {
	if len(v.Attrs) > 0 {
		dst = replyAppendHeader(dst, KindAttribute, int64(len(v.Attrs)/2))
		for _, a := range v.Attrs {
			dst = AppendValue(dst, a)
		}
	}
	switch v.Kind {
	case KindSimple, KindError, KindDouble, KindBigNumber:
		dst = append(dst, byte(v.Kind))
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case KindInt:
		return replyAppendHeader(dst, KindInt, v.Int)
	case KindNull:
		return append(dst, "_\r\n"...)
	case KindBool:
		if v.Int != 0 {
			return append(dst, "#t\r\n"...)
		}
		return append(dst, "#f\r\n"...)
	case KindBulk, KindBlobError, KindVerbatim:
		if v.Null {
			return replyAppendHeader(dst, v.Kind, -1)
		}
		dst = replyAppendHeader(dst, v.Kind, int64(len(v.Str)))
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case KindArray, KindSet, KindPush, KindMap:
		if v.Null {
			return replyAppendHeader(dst, v.Kind, -1)
		}
		n := len(v.Elems)
		if v.Kind == KindMap {
			n /= 2
		}
		dst = replyAppendHeader(dst, v.Kind, int64(n))
		for _, e := range v.Elems {
			dst = AppendValue(dst, e)
		}
		return dst
	}
	return dst
}

func replyAppendHeader(dst []byte, k Kind, n int64) []byte {
	dst = append(dst, byte(k))
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// String renders v on one line, in the spirit of redis-cli, for test
// messages: "OK", "(error) ERR x", "(integer) 1", "\"bulk\"", "(nil)",
// ["a", "b"], {"k": "v"}, (set) [...], (push) [...], (double) 1.5,
// (true), (big number) 123, (verbatim txt) "...".
func (v Value) String() string {
	var sb strings.Builder
	v.format(&sb)
	return sb.String()
}

func (v Value) format(sb *strings.Builder) {
	if len(v.Attrs) > 0 {
		sb.WriteString("(attr) ")
		Value{Kind: KindMap, Elems: v.Attrs}.format(sb)
		sb.WriteByte(' ')
	}
	switch v.Kind {
	case KindSimple:
		sb.Write(v.Str)
	case KindError:
		sb.WriteString("(error) ")
		sb.Write(v.Str)
	case KindBlobError:
		sb.WriteString("(blob error) ")
		sb.WriteString(QuoteCLI(v.Str))
	case KindInt:
		sb.WriteString("(integer) ")
		sb.WriteString(strconv.FormatInt(v.Int, 10))
	case KindNull:
		sb.WriteString("(nil)")
	case KindBool:
		if v.Int != 0 {
			sb.WriteString("(true)")
		} else {
			sb.WriteString("(false)")
		}
	case KindDouble:
		sb.WriteString("(double) ")
		sb.Write(v.Str)
	case KindBigNumber:
		sb.WriteString("(big number) ")
		sb.Write(v.Str)
	case KindVerbatim:
		sb.WriteString("(verbatim ")
		sb.Write(v.Str[:3])
		sb.WriteString(") ")
		sb.WriteString(QuoteCLI(v.Str[4:]))
	case KindBulk:
		if v.Null {
			sb.WriteString("(nil)")
			return
		}
		sb.WriteString(QuoteCLI(v.Str))
	case KindArray, KindSet, KindPush:
		if v.Null {
			sb.WriteString("(nil array)")
			return
		}
		switch v.Kind {
		case KindSet:
			sb.WriteString("(set) ")
		case KindPush:
			sb.WriteString("(push) ")
		}
		sb.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			e.format(sb)
		}
		sb.WriteByte(']')
	case KindMap:
		sb.WriteByte('{')
		for i, e := range v.Elems {
			if i > 0 {
				if i%2 == 1 {
					sb.WriteString(": ")
				} else {
					sb.WriteString(", ")
				}
			}
			e.format(sb)
		}
		sb.WriteByte('}')
	default:
		sb.WriteString("(kind " + strconv.QuoteRune(rune(v.Kind)) + ")")
	}
}

// QuoteCLI quotes b the way redis-cli prints a bulk string: in double
// quotes, with \n \r \t \a \b \\ \" escaped and other non-printable bytes as
// \xhh.
func QuoteCLI(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch c {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\a':
			sb.WriteString(`\a`)
		case '\b':
			sb.WriteString(`\b`)
		default:
			if c < 0x20 || c >= 0x7f {
				sb.WriteString(`\x`)
				sb.WriteByte("0123456789abcdef"[c>>4])
				sb.WriteByte("0123456789abcdef"[c&15])
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
