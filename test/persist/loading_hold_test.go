package persist

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// A client's command sent while a small RDB loads waits for the load and
// is answered from the loaded data, as on Redis (which reads clients only
// every loading-process-events-interval-bytes of a load); with that
// interval at its minimum (1024) both answer -LOADING. The load is a DEBUG
// RELOAD NOSAVE of 500 keys made slow with key-load-delay (400 µs a key);
// key:7 was changed after the save, so "value:7" is the reloaded value.
func TestLoadingHoldSmallLoad(t *testing.T) {
	for _, interval := range []string{"2097152", "1024"} {
		got := map[string]string{}
		for _, kind := range []string{"redis", "shoal"} {
			n := testutil.StartKind(t, kind, "--key-load-delay", "400", "--loading-process-events-interval-bytes", interval)
			c := n.Dial(t)
			c.MustDo(t, "DEBUG", "POPULATE", "500")
			c.MustDo(t, "SAVE")
			c.MustDo(t, "SET", "key:7", "changed")
			reloader := n.Dial(t)
			testutil.NoErr(t, reloader.Send("DEBUG", "RELOAD", "NOSAVE"))
			if kind == "redis" && interval != "1024" {
				// Redis answers nobody until the load ends.
				time.Sleep(100 * time.Millisecond)
			} else {
				// The load is under way (INFO is allowed during it).
				testutil.CheckFor(t, 10*time.Second, time.Millisecond, func() error {
					v, err := c.Do("INFO", "persistence")
					if err != nil {
						return err
					}
					if !contains(string(v.Str), "loading:1") {
						return fmt.Errorf("not loading yet")
					}
					return nil
				})
			}
			c.Timeout = 10 * time.Second
			v, err := c.Do("GET", "key:7")
			testutil.NoErr(t, err)
			got[kind] = string(v.Str)
			r, _, err := reloader.ReadWithin(20 * time.Second)
			testutil.NoErr(t, err)
			testutil.Equal(t, string(r.Str), "OK")
		}
		testutil.Equal(t, got["shoal"], got["redis"])
		want := "value:7"
		if interval == "1024" {
			want = "LOADING Redis is loading the dataset in memory"
		}
		testutil.Equal(t, got["shoal"], want)
	}
}
