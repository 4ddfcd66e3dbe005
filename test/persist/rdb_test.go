package persist

import (
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

func inf(sign int) float64 { return math.Inf(sign) }

// TestShoalDumpLoadsInRedis: every type and encoding saved by Shoal reads
// back identically in redis-server 7.0, and redis-check-rdb accepts the file.
func TestShoalDumpLoadsInRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	sh := testutil.StartShoal(t)
	rd := testutil.StartRedis(t)
	cs := client(t, sh)
	populateAllTypes(t, cs)
	want := snapshotOf(t, cs, 16)
	if len(want) != 3*19 {
		t.Fatalf("populated %d keys, want %d", len(want), 3*19)
	}
	if err := cs.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("redis-check-rdb", filepath.Join(sh.Dir, "dump.rdb")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
	moveDump(t, sh, rd)
	compareSnapshots(t, "redis loading shoal's dump", want, snapshotOf(t, client(t, rd), 16))
}

// TestRedisDumpLoadsInShoal: the reverse direction.
func TestRedisDumpLoadsInShoal(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	rd := testutil.StartRedis(t)
	sh := testutil.StartShoal(t)
	cr := client(t, rd)
	populateAllTypes(t, cr)
	want := snapshotOf(t, cr, 16)
	if err := cr.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	moveDump(t, rd, sh)
	compareSnapshots(t, "shoal loading redis's dump", want, snapshotOf(t, client(t, sh), 16))
	// And Shoal's own save of it loads back in Shoal (DEBUG RELOAD).
	cs := client(t, sh)
	if err := cs.Do(ctx, "DEBUG", "RELOAD").Err(); err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, "shoal after DEBUG RELOAD", want, snapshotOf(t, cs, 16))
}
