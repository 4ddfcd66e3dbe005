// Package testutil starts redis-server and shoal-server processes for tests
// and talks to them.
//
// Every node listens on a free 127.0.0.1 port with a t.TempDir as its
// working directory, is stopped by pid in t.Cleanup (SIGTERM, a bounded
// wait, then SIGKILL) and has its log printed when the test fails. Waits are
// bounded (CheckFor); nothing here sleeps without a deadline.
//
// Binaries: BuildBinaries compiles ./cmd/shoal-server (and ./cmd/shoal-cli
// when present) once per test process; RedisBinary and RedisCLI find the
// reference Redis 7.0.15 tools. SkipIfNoRedis skips a test when Redis is
// missing, except under CI (env CI set), where a missing Redis is a failure.
package testutil
