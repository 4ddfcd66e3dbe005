package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// MONITOR: a monitoring client receives one status line per command other
// clients (and itself) run, in Redis's replicationFeedMonitors format:
//
//	+1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"
//
// Monitors use the client's async output path, so lines from many
// goroutines stay whole and ordered with the monitor's own replies.

func (s *Server) registerMonitor() {
	s.handle("monitor", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		// Inside EXEC (queued commands still pending) the client expects one
		// reply per command, so it may not become a monitor.
		if c.inMulti || len(c.queued) > 0 {
			ctx.Error(rediserr.MonitorDenyBlocking)
			return
		}
		if c.adm.monitor.Load() {
			return // already monitoring: Redis replies nothing
		}
		c.switchToAsync()
		ctx.W.OK()
		s.adm.monitorsMu.Lock()
		c.adm.monitor.Store(true)
		s.adm.monitors = append(s.adm.monitors, c)
		s.adm.nMonitors.Store(int32(len(s.adm.monitors)))
		s.adm.monitorsMu.Unlock()
	})
	// RESET also ends monitoring.
	reset := s.table.Get("reset")
	if prev := reset.Handler; prev != nil {
		reset.Handler = func(ctx *command.Ctx) {
			s.stopMonitor(ctx.Client.(*client))
			prev(ctx)
		}
	}
}

func (s *Server) stopMonitor(c *client) {
	if !c.adm.monitor.Load() {
		return
	}
	s.adm.monitorsMu.Lock()
	c.adm.monitor.Store(false)
	for i, m := range s.adm.monitors {
		if m == c {
			s.adm.monitors = append(s.adm.monitors[:i], s.adm.monitors[i+1:]...)
			break
		}
	}
	s.adm.nMonitors.Store(int32(len(s.adm.monitors)))
	s.adm.monitorsMu.Unlock()
}

// feedMonitors sends the command c just ran to every monitor. Closed
// monitors are dropped here, so a disconnect needs no hook of its own.
func (s *Server) feedMonitors(c *client, args [][]byte) {
	addr := c.conn.RemoteAddr().String()
	if u, ok := c.conn.RemoteAddr().(unixPeer); ok {
		addr = "unix:" + u.path // Redis's [db unix:<path>]
	}
	s.feedMonitorsAs(c, addr, args)
}

// feedMonitorsAs is feedMonitors with the address shown: "lua" for a
// command a script called (Redis's [db lua]).
func (s *Server) feedMonitorsAs(c *client, addr string, args [][]byte) {
	line := monitorLine(time.Now(), c.db.Index, addr, args)
	s.adm.monitorsMu.Lock()
	defer s.adm.monitorsMu.Unlock()
	kept := s.adm.monitors[:0]
	for _, m := range s.adm.monitors {
		if m.closed.Load() {
			m.adm.monitor.Store(false)
			continue
		}
		if m == c {
			// The monitor's own command: its line follows its reply, which
			// is still in c.w, as in Redis.
			c.w.Raw(line)
		} else {
			m.enqueue(line)
		}
		kept = append(kept, m)
	}
	for i := len(kept); i < len(s.adm.monitors); i++ {
		s.adm.monitors[i] = nil
	}
	s.adm.monitors = kept
	s.adm.nMonitors.Store(int32(len(kept)))
}

// monitorLine formats one MONITOR status line. Credentials are redacted as
// Redis does (redactedArgs).
func monitorLine(now time.Time, db int, addr string, args [][]byte) []byte {
	b := make([]byte, 0, 64+len(addr))
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := now.Nanosecond() / 1000
	b = append(b, byte('0'+us/100000), byte('0'+us/10000%10), byte('0'+us/1000%10),
		byte('0'+us/100%10), byte('0'+us/10%10), byte('0'+us%10))
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, addr...)
	b = append(b, ']')
	redact := redactedArgs(args)
	for i, a := range args {
		b = append(b, ' ')
		if redact != nil && redact[i] {
			b = append(b, `"(redacted)"`...)
			continue
		}
		b = appendRepr(b, a)
	}
	return append(b, '\r', '\n')
}

// redactedArgs marks the arguments Redis replaces with "(redacted)" in
// MONITOR and the slow log (redactClientCommandArgument): AUTH's, HELLO
// ... AUTH's, MIGRATE ... AUTH/AUTH2's, every argument of ACL SETUSER from
// the user name on, and the values of sensitive directives in CONFIG SET.
// nil when none is.
func redactedArgs(args [][]byte) []bool {
	name := strings.ToLower(string(args[0]))
	var r []bool
	mark := func(i int) {
		if r == nil {
			r = make([]bool, len(args))
		}
		if i < len(args) {
			r[i] = true
		}
	}
	switch name {
	case "auth":
		for i := 1; i < len(args); i++ {
			mark(i)
		}
	case "hello":
		for i := 2; i < len(args); i++ {
			if strings.EqualFold(string(args[i]), "auth") {
				mark(i + 1)
				mark(i + 2)
				i += 2
			} else if strings.EqualFold(string(args[i]), "setname") {
				i++
			}
		}
	case "migrate":
		for i := 6; i < len(args); i++ {
			switch strings.ToLower(string(args[i])) {
			case "auth":
				mark(i + 1)
				i++
			case "auth2":
				mark(i + 1)
				mark(i + 2)
				i += 2
			case "keys":
				i = len(args)
			}
		}
	case "acl":
		if len(args) >= 3 && strings.EqualFold(string(args[1]), "setuser") {
			for i := 2; i < len(args); i++ {
				mark(i)
			}
		}
	case "config":
		if len(args) >= 4 && len(args)%2 == 0 && strings.EqualFold(string(args[1]), "set") {
			for i := 2; i+1 < len(args); i += 2 {
				if config.Sensitive(string(args[i])) {
					mark(i + 1)
				}
			}
		}
	}
	return r
}

// appendRepr quotes s as Redis's sdscatrepr does.
func appendRepr(b, s []byte) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hexd[c>>4], hexd[c&15])
			}
		}
	}
	return append(b, '"')
}
