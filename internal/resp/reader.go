package resp

import (
	"bytes"
	"math"
)

// Protocol limits, as in Redis 7.0 (server.h, networking.c).
const (
	// DefaultMaxBulkLen is proto-max-bulk-len's default: 512 MB.
	DefaultMaxBulkLen = 512 << 20
	// DefaultMaxInline is PROTO_INLINE_MAX_SIZE: the longest inline request,
	// multibulk count line or bulk length line that is buffered while waiting
	// for its terminator.
	DefaultMaxInline = 64 << 10
	// MaxMultibulkLen is the largest multibulk count Redis 7.0 accepts
	// (INT_MAX; 6.x used 1024*1024). Memory is not reserved up front, so a
	// huge count costs nothing until its arguments arrive.
	MaxMultibulkLen = math.MaxInt32
	// UnauthMaxMultibulkLen and UnauthMaxBulkLen are the stricter limits
	// Redis applies while a client still has to authenticate.
	UnauthMaxMultibulkLen = 10
	UnauthMaxBulkLen      = 16384
)

// Limits bounds what a Reader accepts. Zero fields mean the Redis default.
type Limits struct {
	// MaxBulkLen is proto-max-bulk-len, in bytes; 0 means DefaultMaxBulkLen.
	// A replica reading its master's stream should set it to math.MaxInt64,
	// as Redis skips the check for CLIENT_MASTER.
	MaxBulkLen int64
	// MaxInline is how many unterminated bytes may wait for the end of an
	// inline line, a multibulk count line or a bulk length line; 0 means
	// DefaultMaxInline.
	MaxInline int
	// Unauthenticated applies Redis's limits for clients that still need
	// AUTH: more than UnauthMaxMultibulkLen arguments or a bulk longer than
	// UnauthMaxBulkLen is a protocol error.
	Unauthenticated bool
}

// ProtocolError is a violation of the request protocol. Its Error text is
// what Redis 7.0 replies (after the '-'); the server then closes the
// connection, as Redis does with CLIENT_CLOSE_AFTER_REPLY.
type ProtocolError struct {
	msg string
}

// Error returns Redis's reply text, e.g. "ERR Protocol error: invalid bulk length".
func (e *ProtocolError) Error() string { return e.msg }

// The protocol errors of processInlineBuffer and processMultibulkBuffer.
// Next returns these values (compare with errors.Is or ==), except for the
// "expected '$'" error, which names the offending byte; see ExpectedDollarError.
var (
	ErrTooBigInline         = &ProtocolError{"ERR Protocol error: too big inline request"}
	ErrUnbalancedQuotes     = &ProtocolError{"ERR Protocol error: unbalanced quotes in request"}
	ErrTooBigMbulkCount     = &ProtocolError{"ERR Protocol error: too big mbulk count string"}
	ErrInvalidMultibulkLen  = &ProtocolError{"ERR Protocol error: invalid multibulk length"}
	ErrUnauthMultibulkLen   = &ProtocolError{"ERR Protocol error: unauthenticated multibulk length"}
	ErrTooBigBulkCount      = &ProtocolError{"ERR Protocol error: too big bulk count string"}
	ErrInvalidBulkLen       = &ProtocolError{"ERR Protocol error: invalid bulk length"}
	ErrUnauthBulkLen        = &ProtocolError{"ERR Protocol error: unauthenticated bulk length"}
	expectedDollarErrPrefix = "ERR Protocol error: expected '$', got '"
)

// ExpectedDollarError is the error for a multibulk element that does not
// start with '$'. Redis formats the byte with %c and then turns CR and LF
// into spaces so the reply stays one line; other bytes go out raw. (A NUL
// cannot get here: Redis's strchr stops at it and the line never ends.)
func ExpectedDollarError(got byte) *ProtocolError {
	if got == '\r' || got == '\n' {
		got = ' '
	}
	return &ProtocolError{expectedDollarErrPrefix + string([]byte{got}) + "'"}
}

// maxKeptArgs is the largest argument table a Reader keeps between
// commands (Redis likewise sizes argv per command).
const maxKeptArgs = 1024

// span is an argument's position in the caller's buffer, relative to the
// start of the command. The Reader keeps offsets, never pointers, because the
// caller may move its buffer between calls.
type span struct{ start, end int }

// Reader parses client commands (multibulk and inline) from a buffer the
// caller owns, exactly as Redis 7.0's processInputBuffer does. It is
// resumable: when a command is incomplete Next returns n == 0 and remembers
// how far it got, so the caller appends more bytes and calls again with the
// buffer starting at the same command. Progress is kept as offsets, so each
// call costs O(new bytes in header lines + new arguments), never a rescan of
// bulk payloads. In steady state Next allocates nothing.
//
// The zero Reader is ready to use with default limits. A Reader is not safe
// for concurrent use; use one per connection.
type Reader struct {
	// Limits may be changed between commands (e.g. after AUTH).
	Limits Limits

	args    [][]byte // returned to the caller; reused
	scratch []byte   // unquoted inline arguments; reused
	offs    []span   // multibulk arguments parsed so far

	// Progress through the current command; all offsets are relative to
	// the start of the command (buf[0]).
	inMulti bool  // the multibulk count line has been parsed
	count   int   // multibulk count
	pos     int   // next unparsed byte
	bulk    int64 // length of the bulk at pos, or -1 before its header
	scan    int   // the line being looked for has no terminator before scan
	blocked bool  // a NUL precedes the terminator: Redis's strchr never finds it
	need    int   // see Need
}

// Reset drops any partially parsed command.
func (r *Reader) Reset() {
	r.inMulti = false
	r.count = 0
	r.pos = 0
	r.bulk = -1
	r.scan = 0
	r.blocked = false
	r.need = 0
	r.offs = r.offs[:0]
}

// Need returns how many bytes buf must hold (counted from the command start)
// before the current incomplete command can make progress, when that is
// known: while waiting for a bulk payload it is the end of that payload and
// its CRLF. It returns 0 when unknown. A caller can use it to grow its buffer
// once for a large argument.
func (r *Reader) Need() int { return r.need }

// BulkStart returns where the payload of the bulk Need waits for starts
// (counted from the command start), when Need is not 0.
func (r *Reader) BulkStart() int { return r.pos }

func (r *Reader) maxInline() int {
	if r.Limits.MaxInline > 0 {
		return r.Limits.MaxInline
	}
	return DefaultMaxInline
}

func (r *Reader) maxBulk() int64 {
	if r.Limits.MaxBulkLen > 0 {
		return r.Limits.MaxBulkLen
	}
	return DefaultMaxBulkLen
}

// Next parses the next complete command at the start of buf.
//
// n is the number of bytes consumed; 0 means the command is incomplete: read
// more and call again with buf starting at the same place. args are slices of
// buf (multibulk, and plain inline words) or of the Reader's scratch space
// (inline words that needed unquoting); they are valid until the next call.
// An empty inline line, or a multibulk count <= 0, gives n > 0 and no args;
// Redis skips those.
//
// On a protocol violation err is a *ProtocolError carrying Redis's reply
// text; the caller should send it and close the connection. The Reader is
// reset and can be reused.
func (r *Reader) Next(buf []byte) (args [][]byte, n int, err error) {
	if len(buf) == 0 {
		return nil, 0, nil
	}
	if r.pos > len(buf) || r.scan > len(buf) || r.inMulti && buf[0] != '*' {
		// The caller broke the contract (handed us a shorter buffer);
		// start the command over rather than index out of range.
		r.Reset()
	}
	r.need = 0
	if buf[0] == '*' {
		args, n, err = r.multibulk(buf)
	} else {
		args, n, err = r.inline(buf)
	}
	if n > 0 || err != nil {
		r.Reset()
		if cap(r.offs) > maxKeptArgs {
			// One huge command should not pin its argument table for
			// the life of the connection; the caller's args stay valid.
			r.args, r.offs = nil, nil
		}
	}
	return args, n, err
}

// findTerm returns the index of the first c at or after from, or -1, with
// strchr's semantics on Redis's NUL-terminated query buffer: a NUL before c
// hides it for good. It resumes where the last unsuccessful search stopped.
func (r *Reader) findTerm(buf []byte, from int, c byte) int {
	if r.blocked {
		return -1
	}
	from = max(from, r.scan)
	// Multibulk header lines are a few bytes long: look for both bytes in
	// one pass before paying for two IndexByte calls. (Inline lines are
	// longer; IndexByte wins there.)
	short := from
	if c == '\r' {
		short = min(len(buf), from+24)
	}
	for i := from; i < short; i++ {
		switch buf[i] {
		case c:
			return i
		case 0:
			r.blocked = true
			return -1
		}
	}
	rest := buf[from:]
	i := bytes.IndexByte(rest, c)
	seg := rest
	if i >= 0 {
		seg = rest[:i]
	}
	if bytes.IndexByte(seg, 0) >= 0 {
		r.blocked = true
		return -1
	}
	if i < 0 {
		r.scan = len(buf)
		return -1
	}
	return from + i
}

// inline is processInlineBuffer.
func (r *Reader) inline(buf []byte) ([][]byte, int, error) {
	nl := r.findTerm(buf, 0, '\n')
	if nl < 0 {
		if len(buf) > r.maxInline() {
			return nil, 0, ErrTooBigInline
		}
		return nil, 0, nil
	}
	end := nl
	if end > 0 && buf[end-1] == '\r' {
		end--
	}
	args, scratch, err := SplitArgs(buf[:end], r.args[:0], r.scratch[:0])
	r.args, r.scratch = args[:0], scratch[:0]
	if err != nil {
		return nil, 0, err
	}
	return args, nl + 1, nil
}

// multibulk is processMultibulkBuffer.
func (r *Reader) multibulk(buf []byte) ([][]byte, int, error) {
	if !r.inMulti {
		cr := r.findTerm(buf, 0, '\r')
		if cr < 0 {
			if len(buf) > r.maxInline() {
				return nil, 0, ErrTooBigMbulkCount
			}
			return nil, 0, nil
		}
		// Redis waits for one byte after the CR and skips it unchecked.
		if cr+2 > len(buf) {
			return nil, 0, nil
		}
		ll, ok := parseInt(buf[1:cr])
		if !ok || ll > MaxMultibulkLen {
			return nil, 0, ErrInvalidMultibulkLen
		}
		if ll > UnauthMaxMultibulkLen && r.Limits.Unauthenticated {
			return nil, 0, ErrUnauthMultibulkLen
		}
		if ll <= 0 {
			return r.args[:0], cr + 2, nil
		}
		r.inMulti = true
		r.count = int(ll)
		r.pos = cr + 2
		r.scan = r.pos
		r.bulk = -1
		r.offs = r.offs[:0]
		if cap(r.offs) == 0 {
			r.offs = make([]span, 0, min(r.count, 1024))
		}
	}
	for len(r.offs) < r.count {
		if r.bulk < 0 {
			start := r.pos
			cr := r.findTerm(buf, start, '\r')
			if cr < 0 {
				if len(buf)-start > r.maxInline() {
					return nil, 0, ErrTooBigBulkCount
				}
				return nil, 0, nil
			}
			if cr+2 > len(buf) {
				return nil, 0, nil
			}
			if buf[start] != '$' {
				return nil, 0, ExpectedDollarError(buf[start])
			}
			ll, ok := parseInt(buf[start+1 : cr])
			if !ok || ll < 0 || ll > r.maxBulk() {
				return nil, 0, ErrInvalidBulkLen
			}
			if ll > UnauthMaxBulkLen && r.Limits.Unauthenticated {
				return nil, 0, ErrUnauthBulkLen
			}
			r.bulk = ll
			r.pos = cr + 2
			r.scan = r.pos
		}
		// The payload and two more bytes, which Redis skips unchecked.
		if int64(len(buf)-r.pos)-2 < r.bulk {
			r.need = needed(r.pos, r.bulk)
			return nil, 0, nil
		}
		end := r.pos + int(r.bulk)
		r.offs = append(r.offs, span{r.pos, end})
		r.pos = end + 2
		r.scan = r.pos
		r.bulk = -1
	}
	args := r.args[:0]
	for _, o := range r.offs {
		args = append(args, buf[o.start:o.end:o.end])
	}
	r.args = args[:0]
	return args, r.pos, nil
}

// needed is pos+bulk+2 clamped to the largest int.
func needed(pos int, bulk int64) int {
	if bulk > int64(math.MaxInt-2-pos) {
		return math.MaxInt
	}
	return pos + int(bulk) + 2
}

// parseInt is Redis's string2ll: an optional '-', no '+', no leading zeros
// or spaces, "0" alone, "-0" refused, at most 20 bytes, no overflow.
func parseInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
		if len(s) == 0 {
			return 0, false
		}
	}
	if s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// endsWord reports whether c ends an unquoted word in sdssplitargs. Unlike
// isspace it does not include \v and \f, which stay inside a word.
func endsWord(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// SplitArgs splits line into arguments the way Redis's sdssplitargs does
// (inline commands, redis-cli input, redis.conf lines). Words are separated
// by blanks; "double quotes" understand \n \r \t \b \a \xHH and \<any>;
// 'single quotes' understand only \'. A closing quote must be followed by a
// blank or the end of the line. As in C, a NUL byte ends the line.
//
// The arguments are appended to dst. A word without quotes is a slice of
// line; a quoted one is built in scratch, which is appended to and returned
// so its capacity can be reused. On unbalanced quotes the error is
// ErrUnbalancedQuotes and dst and scratch come back at their original
// lengths.
func SplitArgs(line []byte, dst [][]byte, scratch []byte) ([][]byte, []byte, error) {
	if z := bytes.IndexByte(line, 0); z >= 0 {
		line = line[:z]
	}
	d0, s0 := len(dst), len(scratch)
	// at returns line[i], or 0 past the end, like reading a C string.
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return dst, scratch, nil
		}
		start := p
		for p < len(line) && !endsWord(line[p]) && line[p] != '"' && line[p] != '\'' {
			p++
		}
		if p == len(line) || endsWord(line[p]) {
			dst = append(dst, line[start:p:p])
			continue
		}
		// The word has quotes: build it in scratch.
		sb := len(scratch)
		scratch = append(scratch, line[start:p]...)
		inq, insq := false, false
		for done := false; !done; {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					scratch = append(scratch, unhex(at(p+2))<<4|unhex(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					e := line[p]
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					scratch = append(scratch, e)
				case c == '"':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return dst[:d0], scratch[:s0], ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return dst[:d0], scratch[:s0], ErrUnbalancedQuotes
				default:
					scratch = append(scratch, c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					scratch = append(scratch, '\'')
				case c == '\'':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return dst[:d0], scratch[:s0], ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return dst[:d0], scratch[:s0], ErrUnbalancedQuotes
				default:
					scratch = append(scratch, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					scratch = append(scratch, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		dst = append(dst, scratch[sb:len(scratch):len(scratch)])
	}
}

// PeekKeyArg looks at the command frame at the start of buf without
// consuming it: if buf holds a whole multibulk command of at least two
// arguments, it returns the second (a command's first key, for most
// commands) and the frame's length; else n is 0. It checks only what it
// needs to find the frame's end: Next still parses and validates the frame.
// The server uses it to prefetch the keys of pipelined commands.
func PeekKeyArg(buf []byte) (arg []byte, n int) {
	if len(buf) < 4 || buf[0] != '*' {
		return nil, 0
	}
	count, pos := peekLen(buf, 1)
	if pos < 0 || count < 2 || count > 1024 {
		return nil, 0
	}
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) || buf[pos] != '$' {
			return nil, 0
		}
		l, p := peekLen(buf, pos+1)
		if p < 0 || l < 0 || l > int64(len(buf)-p)-2 {
			return nil, 0
		}
		if i == 1 {
			arg = buf[p : p+int(l)]
		}
		pos = p + int(l) + 2
	}
	return arg, pos
}

// peekLen parses the decimal length at buf[i:] up to its CRLF and returns
// it with the position after the LF, or -1 if the line is incomplete or not
// a short non-negative number.
func peekLen(buf []byte, i int) (int64, int) {
	var v int64
	start := i
	for ; i < len(buf) && i-start < 12; i++ {
		c := buf[i]
		if c == '\r' {
			if i == start || i+1 >= len(buf) {
				return 0, -1
			}
			return v, i + 2
		}
		if c < '0' || c > '9' {
			return 0, -1
		}
		v = v*10 + int64(c-'0')
	}
	return 0, -1
}
