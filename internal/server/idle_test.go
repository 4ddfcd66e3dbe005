package server

import (
	"io"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/config"
)

// TestIdleTimeoutClosesClient: with "timeout 1" an idle client is closed
// within a few seconds, while a subscriber is left alone (as in Redis).
func TestIdleTimeoutClosesClient(t *testing.T) {
	cfg := config.Default()
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Timeout = 1
	s := New(cfg, io.Discard)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(s.Close)

	idle := dial(t, s)
	sub := dial(t, s)
	if got := idle.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
	sub.do("SUBSCRIBE", "ch")
	idle.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.r.ReadByte(); err != io.EOF {
		t.Fatalf("idle client not closed by the server: %v", err)
	}
	if got := sub.do("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Fatalf("subscriber was closed or confused: %q", got)
	}
}
