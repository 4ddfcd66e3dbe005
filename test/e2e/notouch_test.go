package e2e

import (
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TTL, PTTL, EXPIRETIME, PEXPIRETIME, TYPE and EXISTS read a key without
// counting as an access (Redis's LOOKUP_NOTOUCH): OBJECT IDLETIME, which
// the LRU eviction reads too, goes on growing; TOUCH resets it.
func TestKeyReadsThatDoNotTouch(t *testing.T) {
	c := testutil.StartShoal(t).Dial(t)
	c.MustDo(t, "SET", "foo", "bar")
	time.Sleep(2100 * time.Millisecond) // the clock has a 1 s resolution
	for _, cmd := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "TYPE", "EXISTS"} {
		c.MustDo(t, cmd, "foo")
	}
	if n := c.MustDo(t, "OBJECT", "IDLETIME", "foo").Int; n < 2 {
		t.Fatalf("OBJECT IDLETIME after TTL, TYPE, EXISTS… = %d, want >= 2", n)
	}
	c.MustDo(t, "TOUCH", "foo")
	if n := c.MustDo(t, "OBJECT", "IDLETIME", "foo").Int; n >= 2 {
		t.Fatalf("OBJECT IDLETIME after TOUCH = %d, want < 2", n)
	}
}
