package types

import "strings"

// Consumer groups (Redis 7.0 stream.h: streamCG, streamConsumer,
// streamNACK). Groups, consumers and pending entries are kept in key order,
// as Redis's rax keeps them, so every listing comes out in Redis's order.

// InvalidEntriesRead is SCG_INVALID_ENTRIES_READ: a group's read counter
// that is not known.
const InvalidEntriesRead = -1

// StreamNACK is a pending (delivered, not acknowledged) entry.
type StreamNACK struct {
	DeliveryTime  int64 // ms unix time of the last delivery
	DeliveryCount int64
	Consumer      *StreamConsumer // nil only while XCLAIM FORCE creates it
}

// StreamConsumer is a consumer of a group.
type StreamConsumer struct {
	Name     string
	SeenTime int64
	PEL      *ordMap[StreamID, *StreamNACK]
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	LastID      StreamID
	EntriesRead int64 // InvalidEntriesRead when unknown
	PEL         *ordMap[StreamID, *StreamNACK]
	Consumers   *ordMap[string, *StreamConsumer]
}

// Groups is a stream's groups by name.
type groupMap = ordMap[string, *StreamGroup]

func newPEL() *ordMap[StreamID, *StreamNACK] { return newOrdMap[StreamID, *StreamNACK](StreamID.Cmp) }

// Group finds the group name.
func (s *Stream) Group(name string) *StreamGroup {
	g, _ := s.groups.Get(name)
	return g
}

// GroupCount is the number of groups.
func (s *Stream) GroupCount() int { return s.groups.Len() }

// EachGroup calls fn for every group in name order until it returns false.
func (s *Stream) EachGroup(fn func(name string, g *StreamGroup) bool) {
	s.groups.Ascend(nil, fn)
}

// CreateGroup adds a group; nil when one of that name exists.
func (s *Stream) CreateGroup(name string, last StreamID, entriesRead int64) *StreamGroup {
	if s.groups == nil {
		s.groups = newOrdMap[string, *StreamGroup](strings.Compare)
	}
	if _, ok := s.groups.Get(name); ok {
		return nil
	}
	g := &StreamGroup{
		LastID:      last,
		EntriesRead: entriesRead,
		PEL:         newPEL(),
		Consumers:   newOrdMap[string, *StreamConsumer](strings.Compare),
	}
	s.groups.Set(name, g)
	return g
}

// DestroyGroup removes a group and reports whether it existed.
func (s *Stream) DestroyGroup(name string) bool {
	_, ok := s.groups.Delete(name)
	return ok
}

// Consumer finds a consumer.
func (g *StreamGroup) Consumer(name string) *StreamConsumer {
	c, _ := g.Consumers.Get(name)
	return c
}

// CreateConsumer adds a consumer seen at now; nil when it exists.
func (g *StreamGroup) CreateConsumer(name string, now int64) *StreamConsumer {
	if _, ok := g.Consumers.Get(name); ok {
		return nil
	}
	c := &StreamConsumer{Name: name, SeenTime: now, PEL: newPEL()}
	g.Consumers.Set(name, c)
	return c
}

// DeleteConsumer removes c and its pending entries from the group.
func (g *StreamGroup) DeleteConsumer(c *StreamConsumer) {
	c.PEL.Ascend(nil, func(id StreamID, _ *StreamNACK) bool {
		g.PEL.Delete(id)
		return true
	})
	g.Consumers.Delete(c.Name)
}

// Pending finds the pending entry id.
func (g *StreamGroup) Pending(id StreamID) *StreamNACK {
	n, _ := g.PEL.Get(id)
	return n
}

// Ack removes the pending entry id from the group and its consumer.
func (g *StreamGroup) Ack(id StreamID) bool {
	n, ok := g.PEL.Delete(id)
	if !ok {
		return false
	}
	if n.Consumer != nil {
		n.Consumer.PEL.Delete(id)
	}
	return true
}

// AddPending records a delivery of id to c at now (the NACK part of
// streamReplyWithRange): a new pending entry, or one that was pending
// elsewhere moved to c with its count reset to 1.
func (g *StreamGroup) AddPending(id StreamID, c *StreamConsumer, now int64) *StreamNACK {
	if last, _, ok := g.PEL.Last(); ok && last.Less(id) {
		// Past every pending ID (a ">" delivery): new.
	} else if n, ok := g.PEL.Get(id); ok {
		if n.Consumer != nil {
			n.Consumer.PEL.Delete(id)
		}
		n.Consumer, n.DeliveryTime, n.DeliveryCount = c, now, 1
		c.PEL.Set(id, n)
		return n
	}
	n := &StreamNACK{DeliveryTime: now, DeliveryCount: 1, Consumer: c}
	g.PEL.Set(id, n)
	c.PEL.Set(id, n)
	return n
}

// Claim gives the pending entry n (of id) to c.
func (g *StreamGroup) Claim(id StreamID, n *StreamNACK, c *StreamConsumer) {
	if n.Consumer == c {
		return
	}
	if n.Consumer != nil {
		n.Consumer.PEL.Delete(id)
	}
	c.PEL.Set(id, n)
	n.Consumer = c
}

// PendingRange calls fn for the group's (or, when c is set, c's) pending
// entries with ID >= from, in order, until fn returns false.
func (g *StreamGroup) PendingRange(c *StreamConsumer, from StreamID, fn func(id StreamID, n *StreamNACK) bool) {
	pel := g.PEL
	if c != nil {
		pel = c.PEL
	}
	pel.Ascend(&from, fn)
}

// PendingCount is the size of a consumer's PEL.
func (c *StreamConsumer) PendingCount() int { return c.PEL.Len() }

// FirstPending and LastPending are the smallest and largest pending IDs.
func (g *StreamGroup) FirstPending() (StreamID, bool) {
	id, _, ok := g.PEL.First()
	return id, ok
}

func (g *StreamGroup) LastPending() (StreamID, bool) {
	id, _, ok := g.PEL.Last()
	return id, ok
}

// NextPending is the first pending entry with ID >= id.
func (g *StreamGroup) NextPending(id StreamID) (StreamID, *StreamNACK, bool) {
	return g.PEL.Next(id)
}

// EachConsumer calls fn for the consumers in name order.
func (g *StreamGroup) EachConsumer(fn func(c *StreamConsumer) bool) {
	g.Consumers.Ascend(nil, func(_ string, c *StreamConsumer) bool { return fn(c) })
}

// copyGroups deep-copies the groups for Stream.Copy.
func (s *Stream) copyGroups() *groupMap {
	if s.groups == nil {
		return nil
	}
	out := newOrdMap[string, *StreamGroup](strings.Compare)
	s.groups.Ascend(nil, func(name string, g *StreamGroup) bool {
		out.Set(name, cloneGroup(g))
		return true
	})
	return out
}

// cloneGroup is a deep copy of g.
func cloneGroup(g *StreamGroup) *StreamGroup {
	ng := &StreamGroup{LastID: g.LastID, EntriesRead: g.EntriesRead, PEL: newPEL(),
		Consumers: newOrdMap[string, *StreamConsumer](strings.Compare)}
	g.EachConsumer(func(c *StreamConsumer) bool {
		ng.Consumers.Set(c.Name, &StreamConsumer{Name: c.Name, SeenTime: c.SeenTime, PEL: newPEL()})
		return true
	})
	g.PEL.Ascend(nil, func(id StreamID, n *StreamNACK) bool {
		nn := &StreamNACK{DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount}
		if n.Consumer != nil {
			nn.Consumer = ng.Consumer(n.Consumer.Name)
			nn.Consumer.PEL.Set(id, nn)
		}
		ng.PEL.Set(id, nn)
		return true
	})
	return ng
}

// Entry finds the live entry id.
func (s *Stream) Entry(id StreamID) *StreamEntry {
	var out *StreamEntry
	s.Range(id, id, false, func(e *StreamEntry) bool {
		out = &StreamEntry{ID: e.ID, FV: append([]string(nil), e.FV...)}
		return false
	})
	return out
}

// RangeHasTombstones is streamRangeHasTombstones from start to the end.
func (s *Stream) RangeHasTombstones(start StreamID) bool {
	if s.length == 0 || s.MaxDeleted == (StreamID{}) {
		return false
	}
	if s.FirstID().Cmp(s.MaxDeleted) > 0 {
		return false
	}
	return start.Cmp(s.MaxDeleted) <= 0
}

// EstimateDistance is streamEstimateDistanceFromFirstEverEntry: id's
// logical read counter, or InvalidEntriesRead when it cannot be known.
func (s *Stream) EstimateDistance(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Cmp(s.LastID) < 1 {
		return int64(s.EntriesAdded)
	}
	switch id.Cmp(s.LastID) {
	case 0:
		return int64(s.EntriesAdded)
	case 1:
		return InvalidEntriesRead
	}
	first := s.FirstID()
	if s.MaxDeleted == (StreamID{}) || s.MaxDeleted.Cmp(first) < 0 {
		switch id.Cmp(first) {
		case -1:
			return int64(s.EntriesAdded) - int64(s.length)
		case 0:
			return int64(s.EntriesAdded) - int64(s.length) + 1
		}
	}
	return InvalidEntriesRead
}

// Lag is streamReplyWithCGLag's value; ok is false when it is unknown.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != InvalidEntriesRead && !s.RangeHasTombstones(g.LastID) {
		return int64(s.EntriesAdded) - g.EntriesRead, true
	}
	if er := s.EstimateDistance(g.LastID); er != InvalidEntriesRead {
		return int64(s.EntriesAdded) - er, true
	}
	return 0, false
}

// Deliver advances g past the entry id it delivers (the group part of
// streamReplyWithRange); it reports whether the last ID moved.
func (s *Stream) Deliver(g *StreamGroup, id StreamID) bool {
	if id.Cmp(g.LastID) <= 0 {
		return false
	}
	if g.EntriesRead != InvalidEntriesRead && !s.RangeHasTombstones(id) {
		g.EntriesRead++
	} else if s.EntriesAdded != 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
	return true
}
