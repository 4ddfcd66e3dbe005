package cluster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestSetSlotSavedBeforeReply: a CLUSTER SETSLOT's (or ADDSLOTS's,
// DELSLOTS's) reply never arrives before nodes.conf holds its change,
// whether the commands come one at a time or as one pipeline (whose saves Shoal groups into one, as Redis
// saves once per event-loop turn), on Shoal and on Redis alike.
func TestSetSlotSavedBeforeReply(t *testing.T) {
	for _, kind := range []string{"shoal", "redis"} {
		t.Run(kind, func(t *testing.T) {
			a := testutil.StartKind(t, kind, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
			b := testutil.StartKind(t, kind, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
			ca, cb := a.Dial(t), b.Dial(t)
			bID := string(cb.MustDo(t, "CLUSTER", "MYID").Str)
			ca.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "0", "999")
			ca.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", fmt.Sprint(b.Port))
			testutil.CheckFor(t, agreeTimeout, 50*time.Millisecond, func() error {
				if v := ca.MustDo(t, "CLUSTER", "NODES"); !strings.Contains(string(v.Str), bID+" 127.0.0.1:") {
					return fmt.Errorf("A does not know B yet:\n%s", v.Str)
				}
				return nil
			})
			conf := func() string {
				data, err := os.ReadFile(filepath.Join(a.Dir, "nodes.conf"))
				testutil.NoErr(t, err)
				return string(data)
			}
			// One pipeline of 200 MIGRATING marks.
			setSlots := func(from, to int, args ...string) { // one pipeline, every reply OK
				var pipe []byte
				for sl := from; sl < to; sl++ {
					pipe = testutil.AppendCommand(pipe, append([]string{"CLUSTER", "SETSLOT", fmt.Sprint(sl)}, args...)...)
				}
				testutil.NoErr(t, ca.SendRaw(pipe))
				for sl := from; sl < to; sl++ {
					v, _, err := ca.Read()
					testutil.NoErr(t, err)
					if string(v.Str) != "OK" {
						t.Fatalf("SETSLOT %d %q: %q", sl, args, v.Str)
					}
				}
			}
			setSlots(0, 200, "MIGRATING", bID)
			text := conf()
			for sl := 0; sl < 200; sl++ {
				if !strings.Contains(text, fmt.Sprintf("[%d->-%s]", sl, bID)) {
					t.Fatalf("replies came before nodes.conf held slot %d's mark:\n%s", sl, text)
				}
			}
			// One at a time: each reply finds its change in the file.
			for sl := 200; sl < 205; sl++ {
				ca.MustDo(t, "CLUSTER", "SETSLOT", fmt.Sprint(sl), "MIGRATING", bID)
				if text := conf(); !strings.Contains(text, fmt.Sprintf("[%d->-%s]", sl, bID)) {
					t.Fatalf("reply came before nodes.conf held slot %d's mark:\n%s", sl, text)
				}
			}
			// A pipeline handing slots 0-99 to B (an epoch bump: fsynced).
			setSlots(0, 100, "NODE", bID)
			text = conf()
			var bLine string
			for _, l := range strings.Split(text, "\n") {
				if strings.HasPrefix(l, bID+" ") {
					bLine = l
				}
			}
			if !strings.HasSuffix(bLine, " connected 0-99") || strings.Contains(text, "[99->-") || !strings.Contains(text, "[100->-"+bID+"]") {
				t.Fatalf("after SETSLOT NODE, nodes.conf is:\n%s", text)
			}
			// The other commands Redis saves in beforeSleep: a pipeline of
			// DELSLOTS, then of ADDSLOTS, one slot each.
			aLine := func() string {
				for _, l := range strings.Split(conf(), "\n") {
					if strings.Contains(l, "myself") {
						return l
					}
				}
				return ""
			}
			slotCmds := func(cmd string) {
				var pipe []byte
				for sl := 900; sl < 1000; sl++ {
					pipe = testutil.AppendCommand(pipe, "CLUSTER", cmd, fmt.Sprint(sl))
				}
				testutil.NoErr(t, ca.SendRaw(pipe))
				for sl := 900; sl < 1000; sl++ {
					v, _, err := ca.Read()
					testutil.NoErr(t, err)
					if string(v.Str) != "OK" {
						t.Fatalf("%s %d: %q", cmd, sl, v.Str)
					}
				}
			}
			slotCmds("DELSLOTS")
			if l := aLine(); !strings.Contains(l, " connected 100-899 ") {
				t.Fatalf("after DELSLOTS, my nodes.conf line is:\n%s", l)
			}
			slotCmds("ADDSLOTS")
			if l := aLine(); !strings.Contains(l, " connected 100-999 ") {
				t.Fatalf("after ADDSLOTS, my nodes.conf line is:\n%s", l)
			}
		})
	}
}
