package persist

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestCorruptDumpRefused: a truncated file, a flipped byte and a wrong
// signature each stop the server at startup with Redis's log lines; it
// never starts serving part of the data.
func TestCorruptDumpRefused(t *testing.T) {
	sh := testutil.StartShoal(t)
	c := client(t, sh)
	populateAllTypes(t, c)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(sh.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	sh.Stop()
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x01
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"truncated", good[:len(good)*2/3], []string{
			"Short read or OOM loading DB. Unrecoverable error, aborting now.",
			"Internal error in RDB reading offset",
			"Unexpected EOF reading RDB file",
			"Terminating server after rdb file reading failure."}},
		{"flipped", flipped, []string{"Internal error in RDB reading offset", "Terminating server after rdb file reading failure."}},
		{"signature", append([]byte("XEDIS"), good[5:]...), []string{
			"Wrong signature trying to load DB from file",
			"Fatal error loading the DB: Invalid argument. Exiting."}},
	}
	bin := testutil.ShoalServerPath(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			port, _ := testutil.FreePort()
			cx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(cx, bin, "--port", itoa(port), "--bind", "127.0.0.1", "--dir", dir).CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("log lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "Ready to accept connections") {
				t.Errorf("server became ready on a corrupt file")
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
