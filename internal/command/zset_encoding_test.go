package command

import (
	"testing"
)

// TestZAddCreateEncoding: Redis 7.0 creates a ZADD key's encoding from the
// first member only, so duplicates past zset-max-listpack-entries leave a
// listpack (found by the differential encoding.txt script).
func TestZAddCreateEncoding(t *testing.T) {
	e := newTestEnv(t)
	e.settings.Limits.ZSetMaxListpackEntries = 4
	e.expect(":1\r\n", "zadd", "z", "1", "a", "1", "a", "1", "a", "1", "a", "1", "a")
	e.expect("$8\r\nlistpack\r\n", "object", "encoding", "z")
	e.expect(":5\r\n", "zadd", "y", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	e.expect("$8\r\nskiplist\r\n", "object", "encoding", "y")
	long := "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" // 65 bytes
	e.expect(":2\r\n", "zadd", "l", "1", "a", "2", long)
	e.expect("$8\r\nskiplist\r\n", "object", "encoding", "l")
	e.expect(":1\r\n", "zadd", "m", "1", long)
	e.expect("$8\r\nskiplist\r\n", "object", "encoding", "m")
	e.settings.Limits.ZSetMaxListpackEntries = 0
	e.expect(":1\r\n", "zadd", "n", "1", "a")
	e.expect("$8\r\nskiplist\r\n", "object", "encoding", "n")
}
