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

	// aof is the AOF's view of the batch once a command went to one
	// consumer only (AddTo: redis.set_repl in a script); b's own fields
	// are then the replicas' view, and total, totalFirst and totalLast
	// count the commands for either, as Redis's also_propagate array
	// (whose length decides the MULTI … EXEC both receive).
	aof                   *Batch
	split                 bool
	total                 int
	totalFirst, totalLast int
}

// Target is a set of the stream's consumers: redis.set_repl's choice.
type Target uint8

const (
	ToAOF Target = 1 << iota
	ToReplicas
	ToAll = ToAOF | ToReplicas
)

// Len is the number of commands in the batch.
func (b *Batch) Len() int {
	if b.split {
		return b.total
	}
	return b.n
}

// Reset empties the batch, keeping its buffer.
func (b *Batch) Reset() {
	b.buf = b.buf[:0]
	b.n = 0
	if b.split {
		b.aof.Reset()
		b.split, b.total = false, 0
	}
}

// Add records one command run in database db. A SELECT is recorded first
// when db differs from the previous command's.
func (b *Batch) Add(db int, argv ...[]byte) {
	if b.split {
		b.AddTo(db, ToAll, argv...)
		return
	}
	b.push(db, argv)
}

// push records one command in this view, with a SELECT first when db
// differs from the previous command's.
func (b *Batch) push(db int, argv [][]byte) {
	b.selectDB(db)
	b.buf = AppendCommand(b.buf, argv)
	b.n++
}

// AddTo is Add for some of the consumers only: the AOF (ToAOF), the
// replicas and the backlog (ToReplicas), both (ToAll, which is Add) or
// none. The replicas' part decides the stream's bytes and offsets; the
// AOF reads its own part in place of them (Stream.appendSplit).
func (b *Batch) AddTo(db int, to Target, argv ...[]byte) {
	if to == 0 {
		return
	}
	if !b.split {
		if to == ToAll {
			b.Add(db, argv...)
			return
		}
		if b.aof == nil {
			b.aof = &Batch{}
		}
		b.aof.buf = append(b.aof.buf[:0], b.buf...)
		b.aof.n, b.aof.firstDB, b.aof.lastDB = b.n, b.firstDB, b.lastDB
		b.split, b.total, b.totalFirst, b.totalLast = true, b.n, b.firstDB, b.lastDB
	}
	if b.total == 0 {
		b.totalFirst = db
	}
	b.total++
	b.totalLast = db
	if to&ToReplicas != 0 {
		b.push(db, argv)
	}
	if to&ToAOF != 0 {
		b.aof.push(db, argv)
	}
}

// unit is the batch's view v (b itself, or a split batch's AOF view) as
// one unit: its bytes after the SELECT of startDB (which the unit runs
// from) and the database it ends in. More than one command for either
// consumer makes the MULTI … EXEC both receive, in the first and last
// command's databases, as propagatePendingCommands.
func (b *Batch) unit(v *Batch) (out []byte, startDB, endDB int) {
	total, first, last := b.n, b.firstDB, b.lastDB
	if b.split {
		total, first, last = b.total, b.totalFirst, b.totalLast
	}
	if total <= 1 {
		if v.n == 0 {
			return nil, 0, 0
		}
		return v.buf, v.firstDB, v.lastDB
	}
	out = append(out, multiCmd...)
	cur := first
	if v.n > 0 {
		if v.firstDB != cur {
			out = AppendSelect(out, v.firstDB)
		}
		out = append(out, v.buf...)
		cur = v.lastDB
	}
	if cur != last {
		out = AppendSelect(out, last)
	}
	return append(out, execCmd...), first, last
}

// AddStrings is Add for string arguments.
func (b *Batch) AddStrings(db int, argv ...string) {
	if b.split {
		args := make([][]byte, len(argv))
		for i, a := range argv {
			args[i] = []byte(a)
		}
		b.AddTo(db, ToAll, args...)
		return
	}
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
