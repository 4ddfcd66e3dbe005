package command

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// pqsort must leave ranks [l, r] holding exactly what a full sort puts there.
func TestPqsortPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	cmp := func(a, b *geoPoint) int {
		switch {
		case a.dist > b.dist:
			return 1
		case a.dist == b.dist:
			return 0
		}
		return -1
	}
	for round := 0; round < 500; round++ {
		n := 1 + rng.IntN(200)
		pts := make([]geoPoint, n)
		for i := range pts {
			pts[i].dist = float64(rng.IntN(50))
		}
		want := slices.Clone(pts)
		slices.SortFunc(want, func(a, b geoPoint) int { return cmp(&a, &b) })
		k := 1 + rng.IntN(n)
		pqsort(pts, cmp, 0, k-1)
		for i := 0; i < k; i++ {
			if pts[i].dist != want[i].dist {
				t.Fatalf("n=%d k=%d: rank %d is %v, want %v", n, k, i, pts[i].dist, want[i].dist)
			}
		}
	}
}

func TestAppendDistanceAndHuman(t *testing.T) {
	for _, c := range []struct {
		d    float64
		want string
	}{{0, "0.0000"}, {0.00004, "0.0000"}, {0.00005, "0.0000"}, {0.00015, "0.0001"}, {0.25e-4, "0.0000"}, {1.5e-4 + 1e-12, "0.0002"}, {166274.15156960033, "166274.1516"}, {1.5, "1.5000"}, {0.775, "0.7750"}} {
		if got := string(appendDistance(nil, c.d)); got != c.want {
			t.Errorf("appendDistance(%v) = %s, want %s", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		f    float64
		want string
	}{{13.361389338970184, "13.36138933897018433"}, {-0.0, "0"}, {180, "180"}, {-1e-20, "0"}, {0.5, "0.5"}} {
		if got := string(appendHumanLD(nil, c.f)); got != c.want {
			t.Errorf("appendHumanLD(%v) = %s, want %s", c.f, got, c.want)
		}
	}
}
