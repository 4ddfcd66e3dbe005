package server

import (
	"strconv"

	"github.com/shoal-db/shoal/internal/command"
)

// Keyspace notifications (Redis's notify.c). Handlers call Ctx.Notify
// where Redis calls notifyKeyspaceEvent; the keyspace's hooks report the
// events no handler sees (expired, evicted, new). Settings carry the
// classes enabled and the publisher, so a command pays one test of the
// settings it already holds when notifications are off.

// notifier returns the publisher for the classes in flags (nil when
// nothing is published: neither K nor E set).
func (s *Server) notifier(flags int) func(db int, event string, key []byte) {
	if flags&(command.NotifyKeyspace|command.NotifyKeyevent) == 0 {
		return nil
	}
	return func(db int, event string, key []byte) { s.publishKeyEvent(flags, db, event, key) }
}

// publishKeyEvent publishes event on __keyspace@<db>__:<key> (K) and key
// on __keyevent@<db>__:<event> (E), in that order, to this node's
// subscribers only (as Redis: notifications never cross the cluster bus).
func (s *Server) publishKeyEvent(flags, db int, event string, key []byte) {
	var buf [128]byte
	if flags&command.NotifyKeyspace != 0 {
		ch := append(buf[:0], "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.pubsub.publish(ch, []byte(event))
	}
	if flags&command.NotifyKeyevent != 0 {
		ch := append(buf[:0], "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.pubsub.publish(ch, key)
	}
}

// notifyHook publishes an event the keyspace reports (expired, evicted,
// new) if its class is enabled.
func (s *Server) notifyHook(class int, event string, db int, key string) {
	if st := &s.conf().cmd; st.NotifyFlags&class != 0 {
		st.Notifier(db, event, []byte(key))
	}
}

// onNew is the keyspace's OnNew hook: the "new" event.
func (s *Server) onNew(db int, key string) { s.notifyHook(command.NotifyNew, "new", db, key) }

// applyNotifySettings fills the notification part of n from the config
// flags and switches the keyspace's "new" hook.
func (s *Server) applyNotifySettings(n *settings, flags int) {
	if n.cmd.Notifier = s.notifier(flags); n.cmd.Notifier == nil {
		flags = 0
	}
	n.cmd.NotifyFlags = flags
	s.ks.NotifyNew.Store(flags&command.NotifyNew != 0)
}
