package server

import (
	"sort"
	"strings"
	"sync"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/stream"
)

// hub is the node's pub/sub registry.
type hub struct {
	mu       sync.RWMutex
	channels channelSubs
	patterns map[string]map[*client]struct{}
	shard    channelSubs // shard channels (shardpubsub.go)
}

func newHub() *hub {
	return &hub{channels: map[string]map[*client]struct{}{}, patterns: map[string]map[*client]struct{}{},
		shard: map[string]map[*client]struct{}{}}
}

// publish delivers msg to every subscriber of channel and of a matching
// pattern, returning how many received it.
func (h *hub) publish(channel, msg []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	var enc [2][]byte // encoded message for RESP2 and RESP3
	if subs := h.channels[string(channel)]; len(subs) > 0 {
		for c := range subs {
			i := protoIndex(c)
			if enc[i] == nil {
				w := resp.Writer{Proto: c.w.Proto}
				w.Push(3)
				w.BulkString("message")
				w.Bulk(channel)
				w.Bulk(msg)
				enc[i] = w.Buf
			}
			c.enqueue(enc[i])
			n++
		}
	}
	for pat, subs := range h.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		for c := range subs {
			w := resp.Writer{Proto: c.w.Proto}
			w.Push(4)
			w.BulkString("pmessage")
			w.BulkString(pat)
			w.Bulk(channel)
			w.Bulk(msg)
			c.enqueue(w.Buf)
			n++
		}
	}
	return n
}

func protoIndex(c *client) int {
	if c.w.Proto >= 3 {
		return 1
	}
	return 0
}

// switchToAsync moves the client to queued output, carrying over replies
// already written in this batch so order is kept.
func (c *client) switchToAsync() {
	if c.asyncOut.Load() {
		return
	}
	c.asyncOut.Store(true)
	if c.w.Len() > 0 {
		c.commitConfig()
		c.enqueue(c.w.Buf)
		c.w.Reset()
	}
}

// confirm enqueues a (un)subscribe confirmation. Must be called with h.mu held
// so that it is ordered before any message for the same channel.
func (c *client) confirm(kind string, name []byte, nullName bool, count int) {
	w := resp.Writer{Proto: c.w.Proto}
	w.Push(3)
	w.BulkString(kind)
	if nullName {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(count))
	c.enqueue(w.Buf)
}

func (h *hub) subscribe(c *client, names [][]byte, pattern bool) {
	c.switchToAsync()
	h.mu.Lock()
	defer h.mu.Unlock()
	reg, mine, kind := h.channels, &c.subs, "subscribe"
	if pattern {
		reg, mine, kind = h.patterns, &c.psubs, "psubscribe"
	}
	if *mine == nil {
		*mine = map[string]struct{}{}
	}
	for _, n := range names {
		name := string(n)
		if _, ok := (*mine)[name]; !ok {
			(*mine)[name] = struct{}{}
			set := reg[name]
			if set == nil {
				set = map[*client]struct{}{}
				reg[name] = set
			}
			set[c] = struct{}{}
		}
		c.confirm(kind, n, false, len(c.subs)+len(c.psubs))
	}
}

func (h *hub) unsubscribe(c *client, names [][]byte, pattern bool, reply bool) {
	if reply {
		c.switchToAsync()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	reg, mine, kind := h.channels, &c.subs, "unsubscribe"
	if pattern {
		reg, mine, kind = h.patterns, &c.psubs, "punsubscribe"
	}
	if len(names) == 0 {
		for name := range *mine {
			names = append(names, []byte(name))
		}
		sort.Slice(names, func(i, j int) bool { return string(names[i]) < string(names[j]) })
		if len(names) == 0 && reply {
			c.confirm(kind, nil, true, len(c.subs)+len(c.psubs))
			return
		}
	}
	for _, n := range names {
		name := string(n)
		if _, ok := (*mine)[name]; ok {
			delete(*mine, name)
			if set := reg[name]; set != nil {
				delete(set, c)
				if len(set) == 0 {
					delete(reg, name)
				}
			}
		}
		if reply {
			c.confirm(kind, n, false, len(c.subs)+len(c.psubs))
		}
	}
}

func (h *hub) unsubscribeAll(c *client) {
	if len(c.ssubs) > 0 {
		h.sunsubscribe(c, nil, false)
	}
	if len(c.subs)+len(c.psubs) == 0 {
		return
	}
	h.unsubscribe(c, nil, false, false)
	h.unsubscribe(c, nil, true, false)
}

func (s *Server) registerPubSub() {
	s.handle("subscribe", func(ctx *command.Ctx) {
		s.pubsub.subscribe(ctx.Client.(*client), ctx.Args[1:], false)
	})
	s.handle("psubscribe", func(ctx *command.Ctx) {
		s.pubsub.subscribe(ctx.Client.(*client), ctx.Args[1:], true)
	})
	s.handle("unsubscribe", func(ctx *command.Ctx) {
		s.pubsub.unsubscribe(ctx.Client.(*client), ctx.Args[1:], false, true)
	})
	s.handle("punsubscribe", func(ctx *command.Ctx) {
		s.pubsub.unsubscribe(ctx.Client.(*client), ctx.Args[1:], true, true)
	})
	s.handle("publish", func(ctx *command.Ctx) {
		n := s.pubsub.publish(ctx.Args[1], ctx.Args[2])
		s.stats.pubsubMessages.Add(1)
		// Standalone, a master's PUBLISH reaches its replicas' subscribers
		// through the stream (Redis's forceCommandPropagation, PROPAGATE_REPL: not its AOF); in cluster
		// mode the bus carries it, and a replica passes on only its
		// master's stream.
		if s.cl.node == nil && !s.ks.ReplicaMode.Load() {
			ctx.PropagateTo(stream.ToReplicas, ctx.Args...)
		}
		ctx.W.Int(int64(n))
	})
	s.handle("pubsub|channels", func(ctx *command.Ctx) {
		s.pubsub.channelsReply(ctx, func(h *hub) channelSubs { return h.channels })
	})
	s.handle("pubsub|numsub", func(ctx *command.Ctx) {
		s.pubsub.numsubReply(ctx, func(h *hub) channelSubs { return h.channels })
	})
	s.handle("pubsub|numpat", func(ctx *command.Ctx) {
		s.pubsub.mu.RLock()
		n := len(s.pubsub.patterns)
		s.pubsub.mu.RUnlock()
		ctx.W.Int(int64(n))
	})
	s.handle("pubsub|help", func(ctx *command.Ctx) {
		writeHelp(ctx.W, "PUBSUB", []string{
			"CHANNELS [<pattern>]",
			"    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT",
			"    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]",
			"    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
			"SHARDCHANNELS [<pattern>]",
			"    Return the currently active shard level channels matching a <pattern> (default: '*').",
			"SHARDNUMSUB [<shardchannel> ...]",
			"    Return the number of subscribers for the specified shard level channel(s)",
		})
	})
}

// writeHelp writes a HELP reply the way Redis's addReplyHelp does.
func writeHelp(w *resp.Writer, cmd string, lines []string) {
	w.Array(len(lines) + 3)
	w.Simple(strings.ToUpper(cmd) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		w.Simple(l)
	}
	w.Simple("HELP")
	w.Simple("    Prints this help.")
}

// channelSubs maps a channel to its subscribers.
type channelSubs = map[string]map[*client]struct{}

// channelsReply is PUBSUB CHANNELS / SHARDCHANNELS [pattern] over the map
// pick chooses (read under the hub's lock).
func (h *hub) channelsReply(ctx *command.Ctx, pick func(*hub) channelSubs) {
	if len(ctx.Args) > 3 {
		ctx.Error("ERR unknown subcommand or wrong number of arguments for '" + string(ctx.Args[1]) + "'. Try PUBSUB HELP.")
		return
	}
	h.mu.RLock()
	var names []string
	for name := range pick(h) {
		if len(ctx.Args) < 3 || glob.Match(ctx.Args[2], []byte(name), false) {
			names = append(names, name)
		}
	}
	h.mu.RUnlock()
	ctx.W.Array(len(names))
	for _, n := range names {
		ctx.W.BulkString(n)
	}
}

// numsubReply is PUBSUB NUMSUB / SHARDNUMSUB channel… over the map pick
// chooses.
func (h *hub) numsubReply(ctx *command.Ctx, pick func(*hub) channelSubs) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	subs := pick(h)
	ctx.W.Array(2 * (len(ctx.Args) - 2))
	for _, ch := range ctx.Args[2:] {
		ctx.W.Bulk(ch)
		ctx.W.Int(int64(len(subs[string(ch)])))
	}
}
