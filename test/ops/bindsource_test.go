package ops

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// bind-source-addr is the replica link's own address, as in Redis: the
// master lists the replica with ip=127.0.0.2 (run on both servers).
func TestBindSourceAddrAsRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		master := testutil.StartKind(t, kind, "--protected-mode", "no")
		replica := testutil.StartKind(t, kind)
		rc, mc := replica.Dial(t), master.Dial(t)
		rc.MustDo(t, "CONFIG", "SET", "bind-source-addr", "127.0.0.2")
		rc.MustDo(t, "REPLICAOF", "127.0.0.1", strconv.Itoa(master.Port))
		testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			info := mc.MustDo(t, "INFO", "replication").String()
			if !strings.Contains(info, "slave0:ip=127.0.0.2,") {
				return errors.New(kind + ": no replica from 127.0.0.2 yet: " + info)
			}
			return nil
		})
	}
}
