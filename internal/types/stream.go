package types

import (
	"slices"
	"sort"
	"strconv"
	"unsafe"
)

// StreamID is a stream entry ID: milliseconds and sequence number.
type StreamID struct{ Ms, Seq uint64 }

// Less reports whether a sorts before b.
func (a StreamID) Less(b StreamID) bool {
	return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq)
}

// Cmp is -1, 0 or 1 as a is before, equal to or after b.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// Incr is the next ID (streamIncrID); ok is false past the last possible one.
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == ^uint64(0) {
		if a.Ms == ^uint64(0) {
			return a, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr is the previous ID; ok is false before 0-0.
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return a, false
		}
		return StreamID{a.Ms - 1, ^uint64(0)}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

// Append writes "ms-seq" to b.
func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// String is "ms-seq".
func (a StreamID) String() string { return string(a.Append(nil)) }

// StreamEntry is one entry: its ID and field, value, field, value….
// Entries are decoded from their node's packed bytes as they are read;
// the strings alias those bytes, which never change.
type StreamEntry struct {
	ID      StreamID
	FV      []string
	deleted bool
}

// streamNode emulates one listpack node of Redis's stream rax: its
// entries packed in buf (stream_pack.go; deleted ones stay until the node
// empties), the master entry's ID and fields, and an estimate of the
// listpack's size, so node boundaries (and so `~` trimming) match Redis's.
type streamNode struct {
	buf    []byte
	fields []string // master entry's fields; shared by nodes with the same ones, never changed
	master StreamID // first entry's ID
	lastID StreamID // last entry's ID
	count  int      // entries, deleted ones included
	live   int
	bytes  int // listpack size less the master count/deleted fields
}

// Stream is the stream type: entries in ID order in a sequence of nodes.
type Stream struct {
	nodes        []*streamNode
	length       int
	rax          *raxShape
	LastID       StreamID
	EntriesAdded uint64
	MaxDeleted   StreamID
	groups       *groupMap // consumer groups by name (stream_cg.go); nil when none
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Kind is KindStream.
func (s *Stream) Kind() Kind { return KindStream }

// Encoding is "stream".
func (s *Stream) Encoding() string { return "stream" }

// Len is the number of live entries.
func (s *Stream) Len() int { return s.length }

// Copy is a deep copy (master field lists are immutable and shared).
func (s *Stream) Copy() Object {
	cp := *s
	cp.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		nn := *n
		nn.buf = append([]byte(nil), n.buf...)
		cp.nodes[i] = &nn
	}
	// Redis's streamDup inserts the nodes into a fresh rax, in order.
	cp.rax = nil
	for _, n := range cp.nodes {
		cp.raxInsert(n)
	}
	cp.groups = s.copyGroups()
	return &cp
}

// lpIntSize is the encoded size of an integer listpack element.
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

func lpBacklen(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func lpIntElem(v int64) int { n := lpIntSize(v); return n + lpBacklen(n) }

// lpStrElem is the size of a string element as a listpack stores it
// (strings that are canonical integers are stored as integers).
func lpStrElem[T bytesOrString](s T) int {
	if v, ok := ParseInt64(s); ok {
		return lpIntElem(v)
	}
	var n int
	switch {
	case len(s) < 64:
		n = 1 + len(s)
	case len(s) < 4096:
		n = 2 + len(s)
	default:
		n = 5 + len(s)
	}
	return n + lpBacklen(n)
}

// lpBytes is the node's estimated listpack size.
func (n *streamNode) lpBytes() int {
	return n.bytes + lpIntElem(int64(n.live)) + lpIntElem(int64(n.count-n.live))
}

func (n *streamNode) first() StreamID { return n.master }
func (n *streamNode) last() StreamID  { return n.lastID }

// Append adds an entry after the last one (id must be greater than
// LastID); fv is field, value, field, value… (copied); maxEntries and
// maxBytes are stream-node-max-entries/-bytes.
func (s *Stream) Append(id StreamID, fv [][]byte, maxEntries, maxBytes int) {
	var n *streamNode
	var prev *streamNode
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		if nodeFull(n.lpBytes(), n.count, fv, maxEntries, maxBytes) {
			prev, n = n, nil
		}
	}
	if n == nil {
		n = newNode(id, fv, prev)
		if prev != nil {
			prev.seal()
		}
		s.nodes = append(s.nodes, n)
		s.raxInsert(n)
	}
	same := sameFields(n.fields, fv)
	n.bytes += entrySize(n, id, fv, same)
	appendEntry(n, id, fv, same, false)
	n.lastID = id
	n.count++
	n.live++
	s.length++
	s.LastID = id
	s.EntriesAdded++
}

// nodeFull reports whether a node of estimated size lpBytes holding count
// entries takes no entry fv more (streamAppendItem's checks against
// stream-node-max-bytes and -entries).
func nodeFull[T bytesOrString](lpBytes, count int, fv []T, maxEntries, maxBytes int) bool {
	if maxBytes <= 0 || maxBytes > 1<<30 {
		maxBytes = 1 << 30
	}
	tot := 0
	for _, x := range fv {
		tot += len(x)
	}
	return lpBytes+tot >= maxBytes || (maxEntries > 0 && count >= maxEntries)
}

// seal drops the spare capacity of a node no longer appended to, when
// there is much of it.
func (n *streamNode) seal() {
	if cap(n.buf)-len(n.buf) > len(n.buf)/8 {
		n.buf = append(make([]byte, 0, len(n.buf)), n.buf...)
	}
}

// entrySize is the listpack bytes the entry id/fv adds to node n (the
// node's first ID is the master ID; fields equal to the master entry's
// are not repeated: same).
func entrySize[T bytesOrString](n *streamNode, id StreamID, fv []T, same bool) int {
	sz := lpIntElem(2) + lpIntElem(int64(id.Ms-n.master.Ms)) + lpIntElem(int64(id.Seq-n.master.Seq))
	if same {
		for i := 1; i < len(fv); i += 2 {
			sz += lpStrElem(fv[i])
		}
	} else {
		sz += lpIntElem(int64(len(fv) / 2))
		for _, x := range fv {
			sz += lpStrElem(x)
		}
	}
	lpCount := len(fv)/2 + 3
	if !same {
		lpCount = len(fv) + 4
	}
	return sz + lpIntElem(int64(lpCount))
}

// newNode is an empty node whose master entry is id with fv's fields
// (prev's field list when it is the same); its buffer is sized after
// prev's (unless prev was large: one huge entry).
func newNode[T bytesOrString](id StreamID, fv []T, prev *streamNode) *streamNode {
	n := &streamNode{master: id}
	if prev != nil && sameFields(prev.fields, fv) {
		n.fields = prev.fields
	} else {
		n.fields = makeFields(fv)
	}
	if prev != nil && len(prev.buf) <= 1<<16 {
		n.buf = make([]byte, 0, len(prev.buf)+len(prev.buf)/16)
	}
	// Header, end byte, master entry (count and deleted apart).
	n.bytes = 6 + 1 + lpIntElem(int64(len(n.fields))) + lpIntElem(0)
	for _, f := range n.fields {
		n.bytes += lpStrElem(f)
	}
	return n
}

// makeFields copies fv's fields into one string.
func makeFields[T bytesOrString](fv []T) []string {
	tot := 0
	for i := 0; i < len(fv); i += 2 {
		tot += len(fv[i])
	}
	all := make([]byte, 0, tot)
	for i := 0; i < len(fv); i += 2 {
		all = append(all, fv[i]...)
	}
	str := unsafe.String(unsafe.SliceData(all), len(all))
	fields := make([]string, 0, len(fv)/2)
	off := 0
	for i := 0; i < len(fv); i += 2 {
		fields = append(fields, str[off:off+len(fv[i])])
		off += len(fv[i])
	}
	return fields
}

// Deleted reports whether the entry is a tombstone (only EachNode shows those).
func (e *StreamEntry) Deleted() bool { return e.deleted }

// NewStreamEntry is an entry for AppendNode.
func NewStreamEntry(id StreamID, fv []string, deleted bool) StreamEntry {
	return StreamEntry{ID: id, FV: fv, deleted: deleted}
}

// EachNode calls fn for every node in order: the master entry's fields
// and the node's entries, tombstones included (an RDB writes the listpack
// nodes as they are). fn must not keep or change them.
func (s *Stream) EachNode(fn func(fields []string, entries []StreamEntry) bool) {
	var ents []StreamEntry
	var fv []string
	var starts []int
	for _, n := range s.nodes {
		ents, fv, starts = ents[:0], fv[:0], starts[:0]
		for off := 0; off < len(n.buf); {
			id, flags, body := n.entryHead(off)
			l := len(fv)
			for k := 2 * n.fieldCount(body, flags); k > 0; k-- {
				fv = append(fv, "")
			}
			off = n.decodeBody(off, body, flags, fv[l:])
			ents = append(ents, StreamEntry{ID: id, deleted: flags&packDeleted != 0})
			starts = append(starts, l)
		}
		// fv may have moved while it grew: slice it only now.
		for i := range ents {
			end := len(fv)
			if i+1 < len(ents) {
				end = starts[i+1]
			}
			ents[i].FV = fv[starts[i]:end:end]
		}
		if !fn(n.fields, ents) {
			return
		}
	}
}

// AppendNode adds a whole node as an RDB file holds it: master fields
// and entries (tombstones included), IDs above every ID already in the
// stream. It does not touch LastID or EntriesAdded, which the loader sets.
// It reports false (adding nothing) for a node that breaks the order. A
// node of tombstones only is kept: an exact XTRIM MINID leaves one when
// the node's last entry was already deleted (as Redis does, and loads).
func (s *Stream) AppendNode(fields []string, entries []StreamEntry) bool {
	if len(entries) == 0 {
		return false
	}
	var prev *streamNode
	if len(s.nodes) > 0 {
		prev = s.nodes[len(s.nodes)-1]
		if !prev.last().Less(entries[0].ID) {
			return false
		}
	}
	n := &streamNode{master: entries[0].ID, fields: fields}
	if prev != nil && slices.Equal(prev.fields, fields) {
		n.fields = prev.fields
	}
	n.bytes = 6 + 1 + lpIntElem(int64(len(fields))) + lpIntElem(0)
	for _, f := range fields {
		n.bytes += lpStrElem(f)
	}
	for i := range entries {
		e := &entries[i]
		if i > 0 && !entries[i-1].ID.Less(e.ID) {
			return false
		}
		same := sameFields(n.fields, e.FV)
		n.bytes += entrySize(n, e.ID, e.FV, same)
		appendEntry(n, e.ID, e.FV, same, e.deleted)
		n.count++
		if !e.deleted {
			n.live++
		}
	}
	n.lastID = entries[len(entries)-1].ID
	n.seal()
	s.nodes = append(s.nodes, n)
	s.length += n.live
	s.raxInsert(n)
	return true
}

// seekNode is the first node whose last ID is >= id (len(s.nodes) when none).
func (s *Stream) seekNode(id StreamID) int {
	return sort.Search(len(s.nodes), func(i int) bool { return !s.nodes[i].last().Less(id) })
}

// walk calls fn for the live entries with start <= ID <= end, ascending
// (descending when rev), until fn returns false: the node, the entry's
// offset, ID, flags and body offset.
func (s *Stream) walk(start, end StreamID, rev bool, fn func(n *streamNode, off int, id StreamID, flags byte, body int) bool) {
	if end.Less(start) || len(s.nodes) == 0 {
		return
	}
	if !rev {
		for ni := s.seekNode(start); ni < len(s.nodes); ni++ {
			n := s.nodes[ni]
			off := 0
			if n.master.Less(start) {
				off, _ = n.find(start)
			}
			for off < len(n.buf) {
				id, flags, body := n.entryHead(off)
				if end.Less(id) {
					return
				}
				if flags&packDeleted == 0 && !fn(n, off, id, flags, body) {
					return
				}
				off = n.next(off, body, flags)
			}
		}
		return
	}
	// Descending: from the last entry <= end.
	for ni := min(s.seekNode(end), len(s.nodes)-1); ni >= 0; ni-- {
		n := s.nodes[ni]
		for off := len(n.buf); off > 0; {
			off = n.prev(off)
			id, flags, body := n.entryHead(off)
			if end.Less(id) {
				continue
			}
			if id.Less(start) {
				return
			}
			if flags&packDeleted == 0 && !fn(n, off, id, flags, body) {
				return
			}
		}
	}
}

// Range calls fn for live entries with start <= ID <= end, ascending
// (descending when rev), until fn returns false. e and e.FV are valid
// during the call only (they are reused); the strings in e.FV may be kept.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(e *StreamEntry) bool) {
	var e StreamEntry
	var fv []string
	s.walk(start, end, rev, func(n *streamNode, off int, id StreamID, flags byte, body int) bool {
		k := 2 * n.fieldCount(body, flags)
		if cap(fv) < k {
			fv = make([]string, max(k, 16))
		}
		e.ID, e.FV = id, fv[:k]
		n.decodeBody(off, body, flags, e.FV)
		return fn(&e)
	})
}

// Count is the number of live entries with start <= ID <= end, at most
// limit when limit > 0 (a reply's length before its entries).
func (s *Stream) Count(start, end StreamID, rev bool, limit int64) int64 {
	var k int64
	s.walk(start, end, rev, func(*streamNode, int, StreamID, byte, int) bool {
		k++
		return limit <= 0 || k < limit
	})
	return k
}

// firstLive is the first live entry's node and offset; ok is false when
// there is none. (A node is dropped when XDEL empties it, but an exact trim
// may leave one that holds only tombstones.)
func (s *Stream) firstLive() (n *streamNode, off int, ok bool) {
	for _, n = range s.nodes {
		if n.live == 0 {
			continue
		}
		for off = 0; off < len(n.buf); {
			_, flags, body := n.entryHead(off)
			if flags&packDeleted == 0 {
				return n, off, true
			}
			off = n.next(off, body, flags)
		}
	}
	return nil, 0, false
}

// lastLive is the last live entry's node and offset.
func (s *Stream) lastLive() (n *streamNode, off int, ok bool) {
	for ni := len(s.nodes) - 1; ni >= 0; ni-- {
		n = s.nodes[ni]
		if n.live == 0 {
			continue
		}
		for off = len(n.buf); off > 0; {
			off = n.prev(off)
			if n.buf[off]&packDeleted == 0 {
				return n, off, true
			}
		}
	}
	return nil, 0, false
}

// entryAt decodes the entry at off into a new StreamEntry.
func (n *streamNode) entryAt(off int) *StreamEntry {
	id, flags, body := n.entryHead(off)
	e := &StreamEntry{ID: id, FV: make([]string, 2*n.fieldCount(body, flags)), deleted: flags&packDeleted != 0}
	n.decodeBody(off, body, flags, e.FV)
	return e
}

// First is the first live entry.
func (s *Stream) First() (e *StreamEntry, ok bool) {
	if n, off, ok := s.firstLive(); ok {
		return n.entryAt(off), true
	}
	return nil, false
}

// Last is the last live entry.
func (s *Stream) Last() (e *StreamEntry, ok bool) {
	if n, off, ok := s.lastLive(); ok {
		return n.entryAt(off), true
	}
	return nil, false
}

// FirstID is the first live entry's ID (0-0 when empty: Redis's first_id).
func (s *Stream) FirstID() StreamID {
	if n, off, ok := s.firstLive(); ok {
		id, _, _ := n.entryHead(off)
		return id
	}
	return StreamID{}
}

// LastLiveID is the last live entry's ID; ok is false when the stream is empty.
func (s *Stream) LastLiveID() (id StreamID, ok bool) {
	if n, off, ok := s.lastLive(); ok {
		id, _, _ = n.entryHead(off)
		return id, true
	}
	return StreamID{}, false
}

// Delete marks the entry id deleted; a node left with no live entry is
// removed. It reports whether a live entry was deleted.
func (s *Stream) Delete(id StreamID) bool {
	ni := s.seekNode(id)
	if ni == len(s.nodes) {
		return false
	}
	n := s.nodes[ni]
	off, eid := n.find(id)
	if off == len(n.buf) || eid != id || n.buf[off]&packDeleted != 0 {
		return false
	}
	n.buf[off] |= packDeleted
	n.live--
	s.length--
	if n.live == 0 {
		s.raxRemove(n)
		s.nodes = append(s.nodes[:ni], s.nodes[ni+1:]...)
		s.nodes[:len(s.nodes)+1][len(s.nodes)] = nil
	}
	return true
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// Trim is Redis's streamTrim: remove entries from the head while the
// stream is longer than maxLen (TrimMaxLen) or entries are below minID
// (TrimMinID). approx removes only whole nodes; limit > 0 caps how many
// entries go (whole nodes only). It returns the number removed.
func (s *Stream) Trim(strategy int, maxLen int64, minID StreamID, approx bool, limit int64) int64 {
	if strategy == TrimNone {
		return 0
	}
	var deleted int64
	for len(s.nodes) > 0 {
		if strategy == TrimMaxLen && int64(s.length) <= maxLen {
			break
		}
		n := s.nodes[0]
		entries := int64(n.live)
		if limit > 0 && deleted+entries > limit {
			break
		}
		var remove bool
		if strategy == TrimMaxLen {
			remove = int64(s.length)-entries >= maxLen
		} else {
			remove = n.last().Less(minID)
		}
		if remove {
			s.raxRemove(n)
			s.nodes[0] = nil
			s.nodes = s.nodes[1:]
			s.length -= int(entries)
			deleted += entries
			continue
		}
		if approx {
			break
		}
		for off := 0; off < len(n.buf); {
			id, flags, body := n.entryHead(off)
			var stop bool
			if strategy == TrimMaxLen {
				stop = int64(s.length) <= maxLen
			} else {
				stop = !id.Less(minID)
			}
			if stop {
				break
			}
			if flags&packDeleted == 0 {
				n.buf[off] |= packDeleted
				n.live--
				s.length--
				deleted++
			}
			off = n.next(off, body, flags)
		}
		break
	}
	return deleted
}

// NodeCount is the number of listpack nodes (XINFO radix-tree-keys).
func (s *Stream) NodeCount() int { return len(s.nodes) }

// RaxNodes is XINFO's radix-tree-nodes: the node count of Redis's rax
// over the listpack nodes, as it would be after the same operations.
func (s *Stream) RaxNodes() int {
	if s.rax == nil {
		return 1
	}
	return s.rax.numnodes
}

// raxInsert and raxRemove keep the rax shape in step with s.nodes.
func (s *Stream) raxInsert(n *streamNode) {
	if s.rax == nil {
		s.rax = newRaxShape()
	}
	s.rax.insert(raxKey(n.first()))
}

func (s *Stream) raxRemove(n *streamNode) {
	if s.rax != nil {
		s.rax.remove(raxKey(n.first()))
	}
}
