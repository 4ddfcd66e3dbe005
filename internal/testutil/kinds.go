package testutil

import "testing"

// EachKind runs fn as a subtest ("redis", then "shoal") on a fresh
// redis-server and a fresh shoal-server started with args, so a process
// test checks Shoal beside the real thing. Skipped without redis-server.
func EachKind(t *testing.T, fn func(t *testing.T, n *Node), args ...string) {
	t.Helper()
	SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) { fn(t, StartKind(t, kind, args...)) })
	}
}
