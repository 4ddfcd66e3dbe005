package aof

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/stream"
)

// coalesce is how long the background writer lets appends gather before a
// write with appendfsync everysec or no (at most ~1000 writes a second). It
// writes what no client waits for (expiry, eviction, a replica's apply);
// replies to writes wait for Flush, as Redis writes the AOF buffer before
// any reply leaves.
const coalesce = time.Millisecond

// Policy is appendfsync.
type Policy int32

// appendfsync values.
const (
	FsyncEverysec Policy = iota
	FsyncAlways
	FsyncNo
)

// ParsePolicy maps an appendfsync value to a Policy.
func ParsePolicy(s string) Policy {
	switch s {
	case "always":
		return FsyncAlways
	case "no":
		return FsyncNo
	}
	return FsyncEverysec
}

// Writer copies the write stream into the current incremental file. With
// FsyncAlways the server calls Sync before it sends replies, which writes
// and fsyncs everything appended so far: concurrent callers share one
// fsync (group commit). Otherwise it calls Flush, which only writes, so an
// acknowledged write survives a crash of the process (not of the machine);
// a background goroutine writes what the stream has as it arrives and,
// with FsyncEverysec, fsyncs once a second.
type Writer struct {
	f *os.File
	r *stream.Reader

	policy     atomic.Int32
	timestamps atomic.Bool

	mu sync.Mutex // serializes writes to f
	// closed: Close ran; Sync and Flush have nothing left to do (a caller
	// that loaded the writer before appendonly no or a shutdown detached
	// it must not find the reader closed and take it for a write error).
	closed  bool
	pending []byte // bytes read from the stream that a failed write left over
	// pendingOff is the stream offset the pending bytes end at.
	pendingOff int64
	lastTS     int64

	written atomic.Int64 // stream offset of the bytes in the file
	// writtenLocal: local entries up to this sequence number are in the file.
	writtenLocal atomic.Uint64
	synced       atomic.Int64 // stream offset of the bytes fsynced
	// syncedLocal: local entries (a writable replica's own writes) up to
	// this sequence number are fsynced.
	syncedLocal atomic.Uint64
	size        atomic.Int64 // bytes in the file
	// werr is the last write or fsync error (nil: ok), for MISCONF and INFO.
	werr atomic.Pointer[error]

	// Logf writes a log line ('#' warning, '*' notice).
	Logf func(level byte, format string, args ...any)
	// Fatal is called when Redis would exit: a write or fsync error with
	// appendfsync always (an acknowledged write could be lost).
	Fatal func(msg string)
	// FlushSleep, when set, holds microseconds to sleep before writing
	// each batch (DEBUG AOF-FLUSH-SLEEP, Redis's aof_flush_sleep).
	FlushSleep *atomic.Int64

	quit chan struct{}
	done chan struct{}
}

// NewWriter returns a writer appending to f (whose size is size) what r
// reads. Call Start to run its background goroutine.
func NewWriter(f *os.File, r *stream.Reader, size int64, p Policy) *Writer {
	w := &Writer{f: f, r: r, quit: make(chan struct{}), done: make(chan struct{}),
		Logf: func(byte, string, ...any) {}, Fatal: func(string) {}}
	w.policy.Store(int32(p))
	w.size.Store(size)
	w.written.Store(r.Offset())
	w.synced.Store(r.Offset())
	w.pendingOff = r.Offset()
	w.writtenLocal.Store(r.LocalDelivered())
	w.syncedLocal.Store(r.LocalDelivered())
	return w
}

// Prefix makes b the first bytes written, before what the reader reads
// (a replica's new file starts with the SELECT its master's stream is
// in, which the stream itself does not repeat). Call before Start.
func (w *Writer) Prefix(b []byte) { w.pending = append(w.pending[:0], b...) }

// SetPolicy changes appendfsync.
func (w *Writer) SetPolicy(p Policy) { w.policy.Store(int32(p)) }

// Policy is the appendfsync in force.
func (w *Writer) Policy() Policy { return Policy(w.policy.Load()) }

// SetTimestamps is aof-timestamp-enabled: a "#TS:unix-seconds" annotation
// precedes the commands written in a new second.
func (w *Writer) SetTimestamps(on bool) { w.timestamps.Store(on) }

// Written is the stream offset up to which bytes were handed to the file.
func (w *Writer) Written() int64 { return w.written.Load() }

// WrittenUpTo reports whether every stream byte before off, and every
// local entry appended so far, is in the file (written, maybe not fsynced).
func (w *Writer) WrittenUpTo(off int64) bool {
	return w.written.Load() >= off && w.writtenLocal.Load() >= w.r.LocalAppended()
}

// Flush writes every stream byte before off to the file, without an
// fsync: the server calls it with appendfsync everysec or no before it
// sends the replies of commands whose entries end at off. Concurrent
// callers share one write.
func (w *Writer) Flush(off int64) error {
	if w.WrittenUpTo(off) {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.WrittenUpTo(off) {
		return nil
	}
	return w.writeOut()
}

// Size is the number of bytes in the file.
func (w *Writer) Size() int64 { return w.size.Load() }

// Err is the last write or fsync error, nil once a later write succeeded.
func (w *Writer) Err() error {
	if p := w.werr.Load(); p != nil {
		return *p
	}
	return nil
}

// Start runs the background writer until Close.
func (w *Writer) Start() {
	go w.loop()
}

func (w *Writer) loop() {
	defer close(w.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-w.r.Wait():
			if w.Policy() != FsyncAlways {
				// Let a burst gather: one write per coalesce interval
				// under load (Redis writes once per event-loop turn), and
				// no wake-up per append.
				time.Sleep(coalesce)
				w.mu.Lock()
				w.writeOut()
				w.mu.Unlock()
			}
		case <-tick.C:
			w.mu.Lock()
			// Entries whose appender was to write them (a deferred
			// entry of a client that left before its reply) reach the
			// file within a second all the same.
			w.writeOut()
			local := w.r.LocalDelivered()
			w.mu.Unlock()
			if w.Policy() == FsyncEverysec && (w.synced.Load() < w.written.Load() || w.syncedLocal.Load() < local) {
				target := w.written.Load()
				if err := w.f.Sync(); err != nil {
					w.setErr(err, "Fail to fsync the AOF file: %s")
				} else {
					w.synced.Store(target)
					w.syncedLocal.Store(local)
				}
			}
		}
	}
}

// Synced reports whether every stream byte before off, and every local
// entry appended so far, is durable.
func (w *Writer) Synced(off int64) bool {
	return w.synced.Load() >= off && w.syncedLocal.Load() >= w.r.LocalAppended()
}

// Sync makes every stream byte before off durable: written and fsynced.
// The server calls it with appendfsync always before sending the replies
// of commands whose entries end at off.
func (w *Writer) Sync(off int64) error {
	if w.Synced(off) {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.Synced(off) {
		return nil
	}
	if err := w.writeOut(); err != nil {
		w.Logf('#', "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
		w.Fatal(err.Error())
		return err
	}
	target, local := w.written.Load(), w.r.LocalDelivered()
	if err := w.f.Sync(); err != nil {
		w.Logf('#', "Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. Exiting...", ErrText(err))
		w.Fatal(err.Error())
		return err
	}
	w.synced.Store(target)
	w.syncedLocal.Store(local)
	return nil
}

// writeOut writes what the stream holds (no fsync). Needs w.mu.
func (w *Writer) writeOut() error {
	if len(w.pending) > 0 {
		if err := w.write(w.pending); err != nil {
			return err
		}
		w.pending = w.pending[:0]
		w.written.Store(w.pendingOff)
	}
	first := true
	for {
		b, err := w.r.Next()
		if err != nil {
			return err // a pinning reader is never trimmed; closed at shutdown
		}
		if b == nil {
			// A local entry that only skips stream bytes (what goes to
			// replicas alone) moves the reader on without returning
			// any: those bytes count as written.
			if off := w.r.Offset(); off > w.written.Load() {
				w.written.Store(off)
				w.writtenLocal.Store(w.r.LocalDelivered())
			}
			return nil
		}
		if first && w.FlushSleep != nil {
			if us := w.FlushSleep.Load(); us > 0 {
				time.Sleep(time.Duration(us) * time.Microsecond)
			}
		}
		first = false
		// The reader's offset, not len(b): a local entry takes none.
		off := w.r.Offset()
		if w.timestamps.Load() {
			if now := time.Now().Unix(); now != w.lastTS {
				w.lastTS = now
				ts := strconv.AppendInt([]byte("#TS:"), now, 10)
				if err := w.write(append(ts, '\r', '\n')); err != nil {
					w.pending = append(w.pending, b...)
					w.pendingOff = off
					return err
				}
			}
		}
		if err := w.write(b); err != nil {
			w.pendingOff = off
			return err // write kept the rest in pending
		}
		// Only now: Flush's callers send replies once written says so.
		w.written.Store(off)
		w.writtenLocal.Store(w.r.LocalDelivered())
	}
}

// write writes b fully or records the error.
func (w *Writer) write(b []byte) error {
	n, err := w.f.Write(b)
	w.size.Add(int64(n))
	if err != nil {
		// Keep what was not written for the next attempt (b may be
		// pending itself: append moves the bytes down safely).
		w.pending = append(w.pending[:0], b[n:]...)
		w.setErr(err, "Error writing to the AOF file: %s")
		return err
	}
	if w.werr.Load() != nil {
		w.Logf('#', "AOF write error looks solved, Redis can write again.")
		w.werr.Store(nil)
	}
	return nil
}

func (w *Writer) setErr(err error, format string) {
	if w.werr.Load() == nil {
		w.Logf('#', format, ErrText(err))
	}
	w.werr.Store(&err)
}

// Close stops the background goroutine, writes and fsyncs what is left,
// and closes the file and the reader.
func (w *Writer) Close() error {
	close(w.quit)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	err := w.writeOut()
	if serr := w.f.Sync(); err == nil {
		err = serr
	}
	w.r.Close()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
