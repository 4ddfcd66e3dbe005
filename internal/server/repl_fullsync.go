package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/internal/persist"
	"github.com/shoal-db/shoal/internal/replication"
	"github.com/shoal-db/shoal/internal/snapshot"
)

// Full synchronisation of a replica: one snapshot shared by the replicas
// that asked for it, sent disk-based or diskless (docs/replication.md).

// syncJob is one snapshot shared by the replicas that asked for a full
// sync before it started (repl-diskless-sync-delay gathers them).
type syncJob struct {
	links []*replicaLink
	disk  bool   // length-prefixed payload from a file, not EOF-marker framing
	req   rdbReq // what the snapshot leaves out; replicas share a job only with the same req
	done  chan struct{}
	err   error
	ready chan struct{} // closed to start before the delay is over
}

// errLinkClosed is fullSync's error when the link ended while it waited.
var errLinkClosed = errors.New("link closed")

// fullSync sends the replica a snapshot and leaves its stream reader at
// the snapshot's offset.
func (s *Server) fullSync(l *replicaLink, psync bool) error {
	s.cfg.RLock()
	delay := time.Duration(s.cfg.ReplDisklessSyncDelay) * time.Second
	maxReplicas := s.cfg.ReplDisklessSyncMaxReplicas
	diskless := s.cfg.ReplDisklessSync
	s.cfg.RUnlock()
	if !l.eof || !diskless {
		delay = 0
	}
	req := l.c.replHS().req
	s.repl.mu.Lock()
	job := s.repl.job
	if job != nil && job.disk == !l.eof && job.req == req {
		job.links = append(job.links, l)
	} else {
		job = &syncJob{links: []*replicaLink{l}, disk: !l.eof, req: req, done: make(chan struct{}), ready: make(chan struct{})}
		s.repl.job = job
		go s.runSyncJob(job, delay, psync)
	}
	// Enough replicas wait: start without the rest of the delay (with
	// repl-diskless-sync-max-replicas 1, the first one starts it at once).
	if maxReplicas > 0 && len(job.links) >= maxReplicas {
		select {
		case <-job.ready:
		default:
			close(job.ready)
		}
	}
	s.repl.mu.Unlock()
	select {
	case <-job.done:
	case <-l.quit:
		// The job may still attach a reader to l at its snapshot point:
		// close it once the job is over, or it pins the backlog for ever.
		go func() {
			<-job.done
			if l.reader != nil {
				l.reader.Close()
			}
		}()
		return errLinkClosed
	}
	if job.err != nil {
		return job.err
	}
	if l.reader == nil {
		return errors.New("link closed during the transfer")
	}
	return nil
}

// runSyncJob waits for the diskless delay (sending newlines as Redis does
// so the replicas do not time out), takes the snapshot, and writes it to
// every replica of the job.
func (s *Server) runSyncJob(job *syncJob, delay time.Duration, psync bool) {
	defer close(job.done)
	defer s.snapshotEncoded()
	if delay > 0 {
		s.Logf('*', "Delay next BGSAVE for diskless SYNC")
		timer := time.NewTimer(delay)
		tick := time.NewTicker(time.Second)
	wait:
		for {
			select {
			case <-timer.C:
				break wait
			case <-job.ready:
				break wait
			case <-tick.C:
				s.keepaliveJob(job)
			}
		}
		timer.Stop()
		tick.Stop()
	}
	// The snapshot takes its turn with SAVE/BGSAVE (one observer at a time).
	s.save.turn.Lock()
	defer s.save.turn.Unlock()
	s.repl.mu.Lock()
	s.repl.job = nil // replicas asking from now on wait for the next one
	links := append([]*replicaLink(nil), job.links...)
	s.repl.mu.Unlock()

	var off int64
	sn, err := snapshot.Start(s.ks, s.rdbEncoder(), func(sn *snapshot.Snapshot) {
		sn.Aux = s.replAux()
		for _, l := range links {
			r := s.stream.NewReaderAtEnd(true)
			l.setReader(r)
			off = r.Offset()
			l.sent.Store(off)
		}
	})
	if err != nil {
		job.err = err
		return
	}
	s.repl.mu.Lock()
	id := s.repl.hist.ID
	s.repl.mu.Unlock()
	kind := "socket"
	if job.disk {
		kind = "disk"
	}
	s.Logf('*', "Starting BGSAVE for SYNC with target: %s", kind)
	var live []*replicaLink
	for _, l := range links {
		// Redis's replica waits in wait_bgsave while its child runs: the
		// whole of a diskless transfer; a file's writing, then send_bulk.
		l.state.Store(replWaitBgsave)
		if psync {
			if _, err := l.conn.Write([]byte("+FULLRESYNC " + id + " " + strconv.FormatInt(off, 10) + "\r\n")); err != nil {
				l.close()
				continue
			}
		}
		live = append(live, l)
	}
	// Redis's fork for a sync is a BGSAVE: INFO shows rdb_bgsave_in_progress.
	// A sync through a file writes it with a writer child (save.go), there
	// before the BGSAVE shows.
	var ch *persist.WriterChild
	if job.disk && s.save.writerExe != "" {
		s.cfg.RLock()
		dir := s.cfg.Dir
		s.cfg.RUnlock()
		ch, _ = s.startWriterChild(dir, "temp-repl-%d.rdb") // nil: written here
	}
	s.repl.syncSaves.Add(1)
	if job.disk {
		job.err = s.sendSnapshotFromFile(sn, live, ch)
	} else {
		job.err = s.sendSnapshotDiskless(sn, live, job.req)
	}
	s.repl.syncSaves.Add(-1)
	if job.err == nil {
		s.Logf('*', "Background RDB transfer terminated with success")
	}
}

// keepaliveJob sends a newline to replicas waiting for their payload.
func (s *Server) keepaliveJob(job *syncJob) {
	s.repl.mu.Lock()
	links := append([]*replicaLink(nil), job.links...)
	s.repl.mu.Unlock()
	for _, l := range links {
		l.conn.SetWriteDeadline(time.Now().Add(s.replTimeout()))
		l.conn.Write([]byte("\n"))
	}
}

// fanout writes to every replica of a transfer; a replica whose write
// fails is dropped, and the transfer goes on for the others.
type fanout struct {
	s     *Server
	links []*replicaLink
	n     int64
}

func (f *fanout) Write(p []byte) (int, error) {
	kept := f.links[:0]
	for _, l := range f.links {
		l.conn.SetWriteDeadline(time.Now().Add(f.s.replTimeout()))
		if _, err := l.conn.Write(p); err != nil {
			if isTimeout(err) {
				f.s.Logf('#', "Disconnecting timedout replica (full sync): %s", l.name())
			} else {
				f.s.Logf('#', "Diskless rdb transfer, write error to replica %s: %v", l.name(), err)
			}
			l.close()
			continue
		}
		kept = append(kept, l)
	}
	f.links = kept
	f.n += int64(len(p))
	if len(kept) == 0 {
		f.s.Logf('#', "Diskless rdb transfer, last replica dropped, killing fork child.")
		return 0, errors.New("no replica left to send the snapshot to")
	}
	return len(p), nil
}

// sendSnapshotDiskless streams the RDB with EOF-marker framing.
func (s *Server) sendSnapshotDiskless(sn *snapshot.Snapshot, links []*replicaLink, req rdbReq) error {
	mark := replication.NewMark()
	out := &fanout{s: s, links: links}
	size := 256 << 10
	s.cfg.RLock()
	if s.cfg.RDBKeySaveDelay != 0 {
		// A save slowed down for a test sends as Redis's child does,
		// 16 KB at a time (its rio buffer), not in one late burst.
		size = 16 << 10
	}
	s.cfg.RUnlock()
	bw := bufio.NewWriterSize(out, size)
	bw.Write(replication.AppendPayloadHeader(nil, replication.PayloadHeader{Len: -1, Mark: mark}))
	err := s.writeRDBFiltered(bw, sn, req)
	if err == nil {
		bw.Write(mark)
		err = bw.Flush()
	}
	if err != nil {
		sn.Cancel()
		return err
	}
	s.Logf('*', "Diskless rdb transfer, done reading from pipe, %d replicas still up.", len(out.links))
	return nil
}

// sendSnapshotFromFile writes the RDB to a temporary file and sends it
// with its length (SYNC, a replica without capa eof, repl-diskless-sync no).
// ch, if not nil, is the writer child that writes the file.
func (s *Server) sendSnapshotFromFile(sn *snapshot.Snapshot, links []*replicaLink, ch *persist.WriterChild) error {
	// A file no replica waits for is useless without save points: the
	// save stops when the last one leaves (Redis kills its child).
	written := make(chan struct{})
	go func() {
		for _, l := range links {
			select {
			case <-l.quit:
			case <-written:
				return
			}
		}
		if len(s.savePoints()) == 0 {
			sn.Cancel()
		}
	}()
	defer func() {
		select {
		case <-written:
		default:
			close(written)
		}
	}()
	var f *os.File
	if ch != nil {
		if err := s.writeThroughChild(sn, ch); err != nil {
			return err
		}
		defer os.Remove(ch.Tmp)
		var err error
		if f, err = os.Open(ch.Tmp); err != nil {
			return err
		}
	} else {
		s.cfg.RLock()
		dir := s.cfg.Dir
		s.cfg.RUnlock()
		path := filepath.Join(dir, fmt.Sprintf("temp-repl-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
		var err error
		if f, err = os.Create(path); err != nil {
			sn.Cancel()
			return err
		}
		defer os.Remove(path)
		if err := s.writeRDBFile(f, sn); err != nil {
			f.Close()
			return err
		}
	}
	defer f.Close()
	close(written)
	for _, l := range links {
		l.state.CompareAndSwap(replWaitBgsave, replSendBulk)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out := &fanout{s: s, links: links}
	if _, err := out.Write(replication.AppendPayloadHeader(nil, replication.PayloadHeader{Len: size})); err != nil {
		return err
	}
	_, err = io.Copy(out, f)
	return err
}
