package memory

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestSmallKeysEfficiency is unit/memefficiency's measure, repeated:
// FLUSHALL, 10,000 SETs of key:N with a value of 0 to range-1 bytes, then
// the payload (key, value and 2 bytes each) over the used_memory delta.
// Each range must reach Redis's own bound, and every round must: a round
// whose collection fell between the base and the end of the load (or a
// FLUSHALL after one) gave ratios from 0.11 to 3 when used_memory paired
// the collection's live heap with a later count. Redis beside it calibrates
// the bounds (SHOAL_LONG=1).
func TestSmallKeysEfficiency(t *testing.T) {
	bounds := []struct {
		valRange int
		min      float64
	}{{32, 0.15}, {64, 0.25}, {128, 0.35}, {1024, 0.75}}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			n := tg.start(t)
			c := n.Dial(t)
			rng := rand.New(rand.NewPCG(1, 2))
			var buf []byte
			for round := 0; round < 3; round++ {
				var got []string
				for _, b := range bounds {
					c.MustDo(t, "FLUSHALL")
					base := infoField(t, c, "memory", "used_memory")
					buf = buf[:0]
					written := 0
					for j := 0; j < 10000; j++ {
						k, v := fmt.Sprintf("key:%d", j), strings.Repeat("A", rng.IntN(b.valRange))
						buf = testutil.AppendCommand(buf, "SET", k, v)
						written += len(k) + len(v) + 2
					}
					pipeline(t, c, buf, 10000, &result{})
					used := infoField(t, c, "memory", "used_memory") - base
					eff := float64(written) / float64(used)
					got = append(got, fmt.Sprintf("%d:%.3f", b.valRange, eff))
					if eff < b.min || used <= 0 {
						t.Errorf("round %d, values of 0-%d bytes: %d bytes written, used_memory grew %d: efficiency %.3f, Redis's bound %.2f",
							round, b.valRange-1, written, used, eff, b.min)
					}
				}
				t.Logf("round %d: %s", round, strings.Join(got, " "))
			}
		})
	}
}
