package acl

import (
	"sync"
)

// Denial reasons (ACL_DENIED_*), as ACL LOG names them.
const (
	OK = iota
	DeniedCmd
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// ReasonName is the ACL LOG "reason" of a denial.
func ReasonName(r int) string {
	switch r {
	case DeniedCmd:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedChannel:
		return "channel"
	case DeniedAuth:
		return "auth"
	}
	return "unknown"
}

// LogEntry is one ACL LOG entry.
type LogEntry struct {
	Count      int64
	Reason     int
	Context    string // toplevel, multi, lua
	Object     string // command, key, channel or "AUTH"
	Username   string
	CtimeMs    int64
	ClientInfo string
}

// groupMaxDelta is ACL_LOG_GROUPING_MAX_TIME_DELTA: a repeat within a
// minute bumps an entry's count instead of adding one.
const groupMaxDelta = 60000

// Log is the ACL LOG: newest first, at most max entries.
type Log struct {
	mu      sync.Mutex
	entries []*LogEntry // newest first
	max     int
}

// NewLog makes a log keeping max entries (acllog-max-len).
func NewLog(max int) *Log { return &Log{max: max} }

// SetMax changes acllog-max-len; the log is trimmed at the next Add.
func (l *Log) SetMax(n int) {
	l.mu.Lock()
	l.max = n
	l.mu.Unlock()
}

// Add records a denial (addACLLogEntry): an entry matching one of the ten
// newest (same reason, context, object and user, within a minute) is
// bumped and moved to the front instead.
func (l *Log) Add(e LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < len(l.entries) && i < 10; i++ {
		c := l.entries[i]
		d := c.CtimeMs - e.CtimeMs
		if d < 0 {
			d = -d
		}
		if c.Reason == e.Reason && c.Context == e.Context && d <= groupMaxDelta &&
			c.Object == e.Object && c.Username == e.Username {
			c.Count++
			c.CtimeMs = e.CtimeMs
			c.ClientInfo = e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = c
			return
		}
	}
	e.Count = 1
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = &e
	for len(l.entries) > l.max {
		l.entries = l.entries[:len(l.entries)-1]
	}
}

// Reset empties the log (ACL LOG RESET).
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// Newest returns copies of up to n newest entries.
func (l *Log) Newest(n int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]LogEntry, n)
	for i := range out {
		out[i] = *l.entries[i]
	}
	return out
}
