package server

import (
	"sort"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/slot"
)

// Sharded Pub/Sub (Redis 7.0's SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH): shard
// channels live beside the global ones in the hub (hub.shard), a client's
// in client.ssubs. Routing sends a shard command to the node serving the
// channel's slot (routing.go treats the channel as the key); a message is
// delivered to this node's subscribers and, in a cluster, sent over the bus
// as PUBLISHSHARD to the other nodes of this shard only (the master and
// its replicas, cluster.Core.Publish). When a slot stops being served by
// this node's shard, its channels' subscribers get an "sunsubscribe" push
// and lose the subscription (Redis's removeChannelsInSlot).

// spublish delivers msg to the subscribers of shard channel ch on this
// node, returning how many received it. Shard messages ignore patterns.
func (h *hub) spublish(ch, msg []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	var enc [2][]byte
	for c := range h.shard[string(ch)] {
		i := protoIndex(c)
		if enc[i] == nil {
			w := resp.Writer{Proto: c.w.Proto}
			w.Push(3)
			w.BulkString("smessage")
			w.Bulk(ch)
			w.Bulk(msg)
			enc[i] = w.Buf
		}
		c.enqueue(enc[i])
		n++
	}
	return n
}

func (h *hub) ssubscribe(c *client, names [][]byte) {
	c.switchToAsync()
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.ssubs == nil {
		c.ssubs = map[string]struct{}{}
	}
	for _, n := range names {
		name := string(n)
		if _, ok := c.ssubs[name]; !ok {
			c.ssubs[name] = struct{}{}
			set := h.shard[name]
			if set == nil {
				set = map[*client]struct{}{}
				h.shard[name] = set
			}
			set[c] = struct{}{}
		}
		c.confirm("ssubscribe", n, false, len(c.ssubs))
	}
}

// sunsubscribe removes c's subscriptions to names (all of them when names
// is empty), confirming each when reply is set.
func (h *hub) sunsubscribe(c *client, names [][]byte, reply bool) {
	if reply {
		c.switchToAsync()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(names) == 0 {
		for name := range c.ssubs {
			names = append(names, []byte(name))
		}
		sort.Slice(names, func(i, j int) bool { return string(names[i]) < string(names[j]) })
		if len(names) == 0 && reply {
			c.confirm("sunsubscribe", nil, true, 0)
			return
		}
	}
	for _, n := range names {
		h.dropShardSub(c, string(n))
		if reply {
			c.confirm("sunsubscribe", n, false, len(c.ssubs))
		}
	}
}

// dropShardSub removes c from shard channel name. Needs h.mu.
func (h *hub) dropShardSub(c *client, name string) {
	if _, ok := c.ssubs[name]; !ok {
		return
	}
	delete(c.ssubs, name)
	if set := h.shard[name]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.shard, name)
		}
	}
}

// dropUnservedShardChannels unsubscribes, with an "sunsubscribe" push, every
// subscriber of a shard channel whose slot is no longer served by this
// node's shard in topology t.
func (h *hub) dropUnservedShardChannels(t *cluster.Topology) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var gone []string
	for name := range h.shard {
		r := t.Route(slot.Of([]byte(name)))
		if r.Owner != 0 && (r.Owner == t.Me || (t.MyMaster != 0 && r.Owner == t.MyMaster)) {
			continue
		}
		gone = append(gone, name)
	}
	sort.Strings(gone)
	for _, name := range gone {
		for c := range h.shard[name] {
			delete(c.ssubs, name)
			c.confirm("sunsubscribe", []byte(name), false, len(c.ssubs))
		}
		delete(h.shard, name)
	}
}

func (s *Server) registerShardPubSub() {
	s.handle("ssubscribe", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if !ctx.CanBlock {
			// Inside EXEC a client expects one reply per command (CLIENT_DENY_BLOCKING).
			ctx.Error(rediserr.SsubscribeDenyBlocking)
			return
		}
		s.pubsub.ssubscribe(c, ctx.Args[1:])
	})
	s.handle("sunsubscribe", func(ctx *command.Ctx) {
		s.pubsub.sunsubscribe(ctx.Client.(*client), ctx.Args[1:], true)
	})
	s.handle("spublish", func(ctx *command.Ctx) {
		n := s.pubsub.spublish(ctx.Args[1], ctx.Args[2])
		s.stats.pubsubMessages.Add(1)
		if nd := s.cl.node; nd != nil {
			nd.Publish(ctx.Args[1], ctx.Args[2], true)
		}
		ctx.W.Int(int64(n))
	})
	s.handle("pubsub|shardchannels", func(ctx *command.Ctx) {
		s.pubsub.channelsReply(ctx, func(h *hub) channelSubs { return h.shard })
	})
	s.handle("pubsub|shardnumsub", func(ctx *command.Ctx) {
		s.pubsub.numsubReply(ctx, func(h *hub) channelSubs { return h.shard })
	})
}
