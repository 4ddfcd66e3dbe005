package types

import (
	"sort"
	"strconv"
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
type StreamEntry struct {
	ID      StreamID
	FV      []string
	deleted bool
}

// streamNode emulates one listpack node of Redis's stream rax: the
// entries it holds (deleted ones stay until the node empties), the master
// entry's fields, and an estimate of the listpack's size, so node
// boundaries (and so `~` trimming) match Redis's.
type streamNode struct {
	entries []StreamEntry
	fields  []string // master entry's fields
	live    int
	bytes   int // listpack size less the master count/deleted fields
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

// Copy is a deep copy (entries' strings are immutable and shared).
func (s *Stream) Copy() Object {
	cp := *s
	cp.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		nn := *n
		nn.entries = append([]StreamEntry(nil), n.entries...)
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
func lpStrElem(s string) int {
	if len(s) > 0 && len(s) <= 20 {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
			return lpIntElem(v)
		}
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
	return n.bytes + lpIntElem(int64(n.live)) + lpIntElem(int64(len(n.entries)-n.live))
}

func (n *streamNode) first() StreamID { return n.entries[0].ID }
func (n *streamNode) last() StreamID  { return n.entries[len(n.entries)-1].ID }

// Append adds an entry after the last one (id must be greater than
// LastID); maxEntries and maxBytes are stream-node-max-entries/-bytes.
func (s *Stream) Append(id StreamID, fv []string, maxEntries, maxBytes int) {
	var n *streamNode
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		if maxBytes <= 0 || maxBytes > 1<<30 {
			maxBytes = 1 << 30
		}
		tot := 0
		for _, x := range fv {
			tot += len(x)
		}
		if n.lpBytes()+tot >= maxBytes || (maxEntries > 0 && len(n.entries) >= maxEntries) {
			n = nil
		}
	}
	if n == nil {
		n = newNode(fv)
		s.nodes = append(s.nodes, n)
		if s.rax == nil {
			s.rax = newRaxShape()
		}
		s.rax.insert(raxKey(id))
	}
	n.bytes += n.entrySize(id, fv)
	n.entries = append(n.entries, StreamEntry{ID: id, FV: fv})
	n.live++
	s.length++
	s.LastID = id
	s.EntriesAdded++
}

// entrySize is the listpack bytes the entry id/fv adds to node n (the
// entry's first ID is the master ID; fields equal to the master entry's
// are not repeated).
func (n *streamNode) entrySize(id StreamID, fv []string) int {
	base := id
	if len(n.entries) > 0 {
		base = n.entries[0].ID
	}
	same := len(fv)/2 == len(n.fields)
	if same {
		for i, f := range n.fields {
			if fv[2*i] != f {
				same = false
				break
			}
		}
	}
	sz := lpIntElem(2) + lpIntElem(int64(id.Ms-base.Ms)) + lpIntElem(int64(id.Seq-base.Seq))
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

// newNode is an empty node whose master entry has fv's fields.
func newNode(fv []string) *streamNode {
	n := &streamNode{}
	n.fields = make([]string, 0, len(fv)/2)
	for i := 0; i < len(fv); i += 2 {
		n.fields = append(n.fields, fv[i])
	}
	// Header, end byte, master entry (count and deleted apart).
	n.bytes = 6 + 1 + lpIntElem(int64(len(n.fields))) + lpIntElem(0)
	for _, f := range n.fields {
		n.bytes += lpStrElem(f)
	}
	return n
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
	for _, n := range s.nodes {
		if !fn(n.fields, n.entries) {
			return
		}
	}
}

// AppendNode adds a whole node as an RDB file holds it: master fields
// and entries (tombstones included), IDs above every ID already in the
// stream. It does not touch LastID or EntriesAdded, which the loader sets.
// It reports false (adding nothing) for a node that breaks the order or
// holds no live entry.
func (s *Stream) AppendNode(fields []string, entries []StreamEntry) bool {
	if len(entries) == 0 {
		return false
	}
	if len(s.nodes) > 0 && !s.nodes[len(s.nodes)-1].last().Less(entries[0].ID) {
		return false
	}
	n := newNode(nil)
	n.fields = fields
	n.bytes = 6 + 1 + lpIntElem(int64(len(fields))) + lpIntElem(0)
	for _, f := range fields {
		n.bytes += lpStrElem(f)
	}
	for i := range entries {
		e := &entries[i]
		if i > 0 && !entries[i-1].ID.Less(e.ID) {
			return false
		}
		n.bytes += n.entrySize(e.ID, e.FV)
		n.entries = append(n.entries, *e)
		if !e.deleted {
			n.live++
		}
	}
	if n.live == 0 {
		return false
	}
	s.nodes = append(s.nodes, n)
	s.length += n.live
	s.raxInsert(n)
	return true
}

// seek returns the first position (node, index) whose entry ID is >= id.
func (s *Stream) seek(id StreamID) (int, int) {
	ni := sort.Search(len(s.nodes), func(i int) bool { return !s.nodes[i].last().Less(id) })
	if ni == len(s.nodes) {
		return ni, 0
	}
	es := s.nodes[ni].entries
	return ni, sort.Search(len(es), func(i int) bool { return !es[i].ID.Less(id) })
}

// Range calls fn for live entries with start <= ID <= end, ascending
// (descending when rev), until fn returns false.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(e *StreamEntry) bool) {
	if end.Less(start) {
		return
	}
	if !rev {
		ni, ei := s.seek(start)
		for ; ni < len(s.nodes); ni, ei = ni+1, 0 {
			es := s.nodes[ni].entries
			for ; ei < len(es); ei++ {
				e := &es[ei]
				if end.Less(e.ID) {
					return
				}
				if !e.deleted && !fn(e) {
					return
				}
			}
		}
		return
	}
	// Descending: start from the last entry <= end.
	ni, ei := s.seek(end)
	if ni < len(s.nodes) && s.nodes[ni].entries[ei].ID == end {
		ei++
	}
	// Position before (ni, ei).
	for {
		if ei == 0 {
			ni--
			if ni < 0 {
				return
			}
			ei = len(s.nodes[ni].entries)
		}
		ei--
		e := &s.nodes[ni].entries[ei]
		if e.ID.Less(start) {
			return
		}
		if !e.deleted && !fn(e) {
			return
		}
	}
}

// First is the first live entry.
func (s *Stream) First() (e *StreamEntry, ok bool) {
	s.Range(StreamID{}, StreamID{^uint64(0), ^uint64(0)}, false, func(x *StreamEntry) bool { e = x; return false })
	return e, e != nil
}

// Last is the last live entry.
func (s *Stream) Last() (e *StreamEntry, ok bool) {
	s.Range(StreamID{}, StreamID{^uint64(0), ^uint64(0)}, true, func(x *StreamEntry) bool { e = x; return false })
	return e, e != nil
}

// Delete marks the entry id deleted; a node left with no live entry is
// removed. It reports whether a live entry was deleted.
func (s *Stream) Delete(id StreamID) bool {
	ni, ei := s.seek(id)
	if ni == len(s.nodes) {
		return false
	}
	n := s.nodes[ni]
	if ei == len(n.entries) || n.entries[ei].ID != id || n.entries[ei].deleted {
		return false
	}
	n.entries[ei].deleted = true
	n.live--
	s.length--
	if n.live == 0 {
		s.raxRemove(n)
		s.nodes = append(s.nodes[:ni], s.nodes[ni+1:]...)
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
		for i := range n.entries {
			e := &n.entries[i]
			var stop bool
			if strategy == TrimMaxLen {
				stop = int64(s.length) <= maxLen
			} else {
				stop = !e.ID.Less(minID)
			}
			if stop {
				break
			}
			if e.deleted {
				continue
			}
			e.deleted = true
			n.live--
			s.length--
			deleted++
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
