package stream

import "strconv"

// Batch collects the commands one execution unit propagates (one command,
// or a whole MULTI/EXEC), so they reach the stream together. Its buffer is
// reused: a Batch allocates only while it grows.
type Batch struct {
	buf     []byte
	n       int // commands in buf (SELECTs not counted)
	firstDB int
	lastDB  int
}

// Len is the number of commands in the batch.
func (b *Batch) Len() int { return b.n }

// Reset empties the batch, keeping its buffer.
func (b *Batch) Reset() {
	b.buf = b.buf[:0]
	b.n = 0
}

// Add records one command run in database db. A SELECT is recorded first
// when db differs from the previous command's.
func (b *Batch) Add(db int, argv ...[]byte) {
	b.selectDB(db)
	b.buf = AppendCommand(b.buf, argv)
	b.n++
}

// AddStrings is Add for string arguments.
func (b *Batch) AddStrings(db int, argv ...string) {
	b.selectDB(db)
	b.buf = appendHeader(b.buf, '*', len(argv))
	for _, a := range argv {
		b.buf = appendHeader(b.buf, '$', len(a))
		b.buf = append(b.buf, a...)
		b.buf = append(b.buf, '\r', '\n')
	}
	b.n++
}

func (b *Batch) selectDB(db int) {
	if b.n == 0 {
		b.firstDB, b.lastDB = db, db
		return
	}
	if db != b.lastDB {
		b.buf = AppendSelect(b.buf, db)
		b.lastDB = db
	}
}

// Bytes is the RESP of the batch's commands (with SELECTs between commands
// of different databases, none before the first).
func (b *Batch) Bytes() []byte { return b.buf }

// AppendCommand appends argv as a RESP array of bulk strings.
func AppendCommand(dst []byte, argv [][]byte) []byte {
	dst = appendHeader(dst, '*', len(argv))
	for _, a := range argv {
		dst = appendHeader(dst, '$', len(a))
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// AppendSelect appends "SELECT db".
func AppendSelect(dst []byte, db int) []byte {
	var num [20]byte
	d := strconv.AppendInt(num[:0], int64(db), 10)
	dst = append(dst, "*2\r\n$6\r\nSELECT\r\n"...)
	dst = appendHeader(dst, '$', len(d))
	dst = append(dst, d...)
	return append(dst, '\r', '\n')
}

func appendHeader(dst []byte, c byte, n int) []byte {
	dst = append(dst, c)
	if n < 10 {
		dst = append(dst, byte('0'+n))
	} else {
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	return append(dst, '\r', '\n')
}

// commandLen is the encoded size of argv.
func commandLen(argv [][]byte) int {
	n := headerLen(len(argv))
	for _, a := range argv {
		n += headerLen(len(a)) + len(a) + 2
	}
	return n
}

func headerLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return 1 + d + 2
}
