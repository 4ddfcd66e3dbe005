package migrate

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/internal/rediserr"
)

// chunk is how much of the batch one timed write sends (Redis writes the
// batch in 64 KiB chunks, each within the timeout).
const chunk = 64 * 1024

// maxLine is the longest reply line kept (Redis reads replies into a
// 1024-byte buffer); the rest of a longer line is skipped.
const maxLine = 1023

// AppendRestore appends one RESTORE-ASKING (asking, in cluster mode) or
// RESTORE command for key, with the remaining TTL in ms (0: none) and the
// DUMP payload, plus REPLACE if asked, to dst in RESP.
func AppendRestore(dst []byte, asking bool, key []byte, ttl int64, payload []byte, replace bool) []byte {
	if replace {
		dst = append(dst, "*5\r\n"...)
	} else {
		dst = append(dst, "*4\r\n"...)
	}
	if asking {
		dst = append(dst, "$14\r\nRESTORE-ASKING\r\n"...)
	} else {
		dst = append(dst, "$7\r\nRESTORE\r\n"...)
	}
	dst = appendBulk(dst, key)
	var num [20]byte
	dst = appendBulk(dst, strconv.AppendInt(num[:0], ttl, 10))
	dst = appendBulk(dst, payload)
	if replace {
		dst = append(dst, "$7\r\nREPLACE\r\n"...)
	}
	return dst
}

func appendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// Result is the outcome of a Transfer.
type Result struct {
	// Acked[i] is true when the i-th RESTORE replied OK: that key is on the
	// target, and MIGRATE (without COPY) deletes it here.
	Acked []bool
	// Err is the error reply text; "" means +OK.
	Err string
}

// Transfer sends one MIGRATE batch — AUTH if req has a password, SELECT
// when the connection's last database differs from req.DB, then the n
// RESTORE commands in restores — to req's target in one write, and reads
// the replies, with migrateCommand's rules: a socket error before any
// RESTORE reply (other than a timeout) closes the connection and tries
// once more on a fresh one; an error reply from the target makes the
// reply "Target instance replied with error: …" (an AUTH or SELECT error
// fails every key); a socket error after some replies keeps the keys
// already acknowledged and replies IOERR. It blocks for up to a few
// timeouts and must be called with no lock held.
func (c *Cache) Transfer(req *Request, restores []byte, n int) Result {
	res := Result{Acked: make([]bool, n)}
	mayRetry := true
	for {
		e, err := c.acquire(req, !mayRetry)
		if err != nil {
			// Redis connects without waiting for the outcome: only a
			// target that cannot even be addressed fails the connect. A
			// refused or timed-out connection fails the write instead
			// (retried once unless it timed out).
			if !addressable(err) {
				res.Err = rediserr.MigrateConnect
				return res
			}
			if mayRetry && !isTimeout(err) {
				mayRetry = false
				continue
			}
			res.Err = rediserr.MigrateIOWrite
			return res
		}
		retry, ioErr := c.exchange(e, req, restores, &res, mayRetry)
		c.release(e)
		if !retry {
			if ioErr != "" {
				res.Err = ioErr
			}
			return res
		}
		mayRetry = false
	}
}

// exchange runs one attempt on e. It reports whether to try again on a
// fresh connection, or else the IOERR text, if any, to reply.
func (c *Cache) exchange(e *entry, req *Request, restores []byte, res *Result, mayRetry bool) (retry bool, ioErr string) {
	var prefix []byte
	if req.HasPassword {
		if req.Username != "" {
			prefix = append(prefix, "*3\r\n$4\r\nAUTH\r\n"...)
			prefix = appendBulk(prefix, []byte(req.Username))
		} else {
			prefix = append(prefix, "*2\r\n$4\r\nAUTH\r\n"...)
		}
		prefix = appendBulk(prefix, []byte(req.Password))
	}
	sel := e.lastDB != req.DB
	if sel {
		prefix = append(prefix, "*2\r\n$6\r\nSELECT\r\n"...)
		prefix = appendBulk(prefix, strconv.AppendInt(nil, req.DB, 10))
	}
	// socketErr is Redis's socket_err label: close, then retry once unless
	// the error was a timeout.
	socketErr := func(err error, write bool) (bool, string) {
		c.drop(e)
		if mayRetry && !isTimeout(err) {
			return true, ""
		}
		if write {
			return false, rediserr.MigrateIOWrite
		}
		return false, rediserr.MigrateIORead
	}
	if err := writeTimed(e, prefix, req.Timeout); err != nil {
		return socketErr(err, true)
	}
	if err := writeTimed(e, restores, req.Timeout); err != nil {
		return socketErr(err, true)
	}
	var authLine, selLine []byte
	var err error
	// (copied: a line read is only valid until the next read)
	if req.HasPassword {
		if authLine, err = readLine(e, req.Timeout); err != nil {
			return socketErr(err, false)
		}
		authLine = bytes.Clone(authLine)
	}
	if sel {
		if selLine, err = readLine(e, req.Timeout); err != nil {
			return socketErr(err, false)
		}
		selLine = bytes.Clone(selLine)
	}
	fromTarget := false
	j := 0
	for ; j < len(res.Acked); j++ {
		line, rerr := readLine(e, req.Timeout)
		if rerr != nil {
			err = rerr
			break
		}
		var bad []byte
		switch {
		case req.HasPassword && authLine[0] == '-':
			bad = authLine
		case sel && selLine[0] == '-':
			bad = selLine
		case line[0] == '-':
			bad = line
		}
		if bad == nil {
			res.Acked[j] = true
			continue
		}
		if !fromTarget {
			fromTarget = true
			e.lastDB = -1
			res.Err = rediserr.MigrateTarget(string(bad[1:]))
		}
	}
	socketError := err != nil
	if !fromTarget && socketError && j == 0 && mayRetry && !isTimeout(err) {
		return socketErr(err, false)
	}
	if socketError {
		c.drop(e)
		if !fromTarget {
			return false, rediserr.MigrateIORead
		}
		return false, ""
	}
	if !fromTarget {
		e.lastDB = req.DB
	}
	return false, ""
}

// writeTimed writes b in 64 KiB chunks, each within timeout.
func writeTimed(e *entry, b []byte, timeout time.Duration) error {
	for len(b) > 0 {
		n := min(len(b), chunk)
		e.conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := e.conn.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// errEmptyLine: a bare "\n" counts as a failed read, as syncReadLine
// returning 0 does in Redis.
var errEmptyLine = errors.New("migrate: empty reply line")

// readLine reads one reply line within timeout, without its CRLF, cut to
// maxLine bytes. The slice is valid until the next read.
func readLine(e *entry, timeout time.Duration) ([]byte, error) {
	e.conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := e.br.ReadSlice('\n')
	if err == nil {
		line = line[:len(line)-1]
		if len(line) == 0 {
			return nil, errEmptyLine
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			line = []byte{'+'} // "\r\n": not an error reply
		}
		return line[:min(len(line), maxLine)], nil
	}
	if !errors.Is(err, bufioErrFull) {
		return nil, err
	}
	// Longer than the buffer: keep the start, skip to the end of the line.
	keep := append([]byte(nil), line[:min(len(line), maxLine)]...)
	for errors.Is(err, bufioErrFull) {
		_, err = e.br.ReadSlice('\n')
	}
	if err != nil {
		return nil, err
	}
	return keep, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// addressable reports whether a dial error came after the address was
// resolved (refused, unreachable, timed out), rather than from resolving
// it (unknown host, invalid port) or the cache being closed.
func addressable(err error) bool {
	var dnsErr *net.DNSError
	var addrErr *net.AddrError
	return !errors.As(err, &dnsErr) && !errors.As(err, &addrErr) && !errors.Is(err, net.ErrClosed)
}
