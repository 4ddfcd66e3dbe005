package aof

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
)

// Result is how loading one file ended (Redis's AOF_OK, AOF_TRUNCATED …).
type Result int

// Results of LoadFile.
const (
	OK Result = iota
	Empty
	NotExist
	OpenErr
	Truncated
	Failed
)

// Loader replays AOF files. Apply runs one command (inside MULTI the
// caller queues it, as Redis's fake client does); an error from Apply is a
// command the loader cannot run, which fails the load. RDB, when set,
// loads an RDB-format base or preamble from r and reports how many bytes
// it consumed; without it only an RDB without keys is accepted.
type Loader struct {
	Dir string
	// LoadTruncated is aof-load-truncated.
	LoadTruncated bool
	// Logf writes a log line at Redis's level ('#' warning, '*' notice).
	Logf  func(level byte, format string, args ...any)
	Apply func(args [][]byte) error
	RDB   func(r io.Reader) error
	// OldStyle is the name of a single-file AOF (appendfilename), whose RDB
	// part is a preamble rather than a base (only log lines differ).
	OldStyle string
	// Progress, when set, is told how many bytes were read so far.
	Progress func(n int64)
}

// maxLine is Redis's AOF_ANNOTATION_LINE_MAX_LEN: the fgets buffer.
const maxLine = 1024

// countingReader counts the bytes a bufio.Reader pulled from the file.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// LoadFile replays one file of the directory, as loadSingleAppendOnlyFile.
func (l *Loader) LoadFile(name string) Result {
	path := l.Dir + "/" + name
	f, err := os.Open(path)
	if err != nil {
		if _, serr := os.Stat(path); serr == nil || !errors.Is(serr, os.ErrNotExist) {
			l.Logf('#', "Fatal error: can't open the append log file %s for reading: %s", name, ErrText(err))
			return OpenErr
		}
		l.Logf('#', "The append log file %s doesn't exist: %s", name, ErrText(err))
		return NotExist
	}
	defer f.Close()
	var size int64 = 1<<63 - 1
	if st, err := f.Stat(); err == nil {
		if st.Size() == 0 {
			return Empty
		}
		size = st.Size()
	}
	cr := &countingReader{r: f}
	br := bufio.NewReaderSize(cr, 64<<10)
	pos := func() int64 { return cr.n - int64(br.Buffered()) }

	if sig, _ := br.Peek(5); string(sig) == "REDIS" {
		old := name == l.OldStyle
		if old {
			l.Logf('*', "Reading RDB preamble from AOF file...")
		} else {
			l.Logf('*', "Reading RDB base file on AOF loading...")
		}
		load := l.RDB
		if load == nil {
			load = func(io.Reader) error { return errors.New("no RDB reader given") }
		}
		if err := load(br); err != nil {
			if old {
				l.Logf('#', "Error reading the RDB preamble of the AOF file %s, AOF loading aborted", name)
			} else {
				l.Logf('#', "Error reading the RDB base file %s, AOF loading aborted", name)
			}
			l.Logf('#', "%v", err)
			return Failed
		}
		if old {
			l.Logf('*', "Reading the remaining AOF tail...")
		}
	}

	var (
		validUpTo, validBeforeMulti int64
		inMulti                     bool
		buf                         []byte
		argv                        [][]byte
		offs                        []int
	)
	for loops := 0; ; loops++ {
		if loops%1024 == 0 && l.Progress != nil {
			l.Progress(pos())
		}
		line, err := readLine(br)
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			return l.readErr(name, err)
		}
		if line[0] == '#' {
			continue // annotation (#TS:…)
		}
		if line[0] != '*' {
			return l.fmtErr(name)
		}
		if len(line) < 2 || line[1] == '\n' || err == io.EOF {
			return l.uxeof(path, name, validUpTo)
		}
		argc := atoi(line[1:])
		if argc < 1 {
			return l.fmtErr(name)
		}
		buf, offs = buf[:0], offs[:0]
		for j := 0; j < argc; j++ {
			hdr, err := readLine(br)
			if err != nil && (err != io.EOF || len(hdr) == 0) {
				if err == io.EOF {
					return l.uxeof(path, name, validUpTo)
				}
				return l.readErr(name, err)
			}
			if hdr[0] != '$' {
				return l.fmtErr(name)
			}
			if err == io.EOF { // a header without its newline
				return l.uxeof(path, name, validUpTo)
			}
			n := atoi(hdr[1:])
			if n < 0 {
				n = 0
			}
			if int64(n) > size-pos() {
				// Longer than what is left of the file: a short read, found
				// without allocating the announced length.
				return l.uxeof(path, name, validUpTo)
			}
			start := len(buf)
			buf = grow(buf, n)
			if _, err := io.ReadFull(br, buf[start:start+n]); err != nil {
				return l.uxeof(path, name, validUpTo)
			}
			var crlf [2]byte
			if _, err := io.ReadFull(br, crlf[:]); err != nil {
				return l.uxeof(path, name, validUpTo)
			}
			offs = append(offs, start, start+n)
		}
		argv = argv[:0]
		for j := 0; j < len(offs); j += 2 {
			argv = append(argv, buf[offs[j]:offs[j+1]])
		}
		switch {
		case eqFold(argv[0], "multi"):
			validBeforeMulti, inMulti = validUpTo, true
		case eqFold(argv[0], "exec"), eqFold(argv[0], "discard"):
			inMulti = false
		}
		if err := l.Apply(argv); err != nil {
			l.Logf('#', "%v reading the append only file %s", err, name)
			return Failed
		}
		if l.LoadTruncated {
			validUpTo = pos()
		}
	}
	if inMulti {
		l.Logf('#', "Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
		l.Apply([][]byte{[]byte("DISCARD")})
		return l.uxeof(path, name, validBeforeMulti)
	}
	if l.Progress != nil {
		l.Progress(pos())
	}
	return OK
}

// readLine is fgets with Redis's buffer: up to maxLine-1 bytes, ending
// with '\n' unless the line was longer or the file ended.
func readLine(br *bufio.Reader) ([]byte, error) {
	b, err := br.Peek(maxLine - 1)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		br.Discard(i + 1)
		return b[:i+1], nil
	}
	if err == nil || err == bufio.ErrBufferFull {
		br.Discard(len(b))
		return b, nil
	}
	br.Discard(len(b))
	if len(b) == 0 {
		return nil, err
	}
	return b, io.EOF
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// atoi is C's atoi over a line ("12\r\n" → 12).
func atoi(b []byte) int {
	n := atoll(b)
	if n > 1<<31-1 || n < -1<<31 {
		return -1
	}
	return int(n)
}

func eqFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func (l *Loader) readErr(name string, err error) Result {
	l.Logf('#', "Unrecoverable error reading the append only file %s: %s", name, ErrText(err))
	return Failed
}

func (l *Loader) fmtErr(name string) Result {
	l.Logf('#', "Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)
	return Failed
}

// uxeof handles an unexpected end of file: with aof-load-truncated the
// file is cut after the last complete command and loading goes on.
func (l *Loader) uxeof(path, name string, validUpTo int64) Result {
	if l.LoadTruncated {
		l.Logf('#', "!!! Warning: short read while loading the AOF file %s!!!", name)
		l.Logf('#', "!!! Truncating the AOF %s at offset %d !!!", name, validUpTo)
		if err := os.Truncate(path, validUpTo); err != nil {
			l.Logf('#', "Error truncating the AOF file %s: %s", name, ErrText(err))
		} else {
			l.Logf('#', "AOF %s loaded anyway because aof-load-truncated is enabled", name)
			return Truncated
		}
	}
	l.Logf('#', "Unexpected end of file reading the append only file %s. You can: "+
		"1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "+
		"2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
	return Failed
}

// ErrText is strerror's text for an OS error.
func ErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := []byte(err.Error())
	if len(s) > 0 && 'a' <= s[0] && s[0] <= 'z' {
		s[0] -= 'a' - 'A' // strerror capitalizes
	}
	return string(s)
}
