package geo

import (
	"math/rand/v2"
	"testing"
)

// Values from Redis 7.0.15 (ZSCORE / GEOHASH / GEODIST of the GEOADD
// documentation example).
func TestKnownValues(t *testing.T) {
	if s := Score(13.361389, 38.115556); s != 3479099956230698 {
		t.Fatalf("Palermo score %d", s)
	}
	if s := Score(15.087269, 37.502669); s != 3479447370796909 {
		t.Fatalf("Catania score %d", s)
	}
	if h, _ := Hash11(3479099956230698); h != "sqc8b49rny0" {
		t.Fatalf("Palermo geohash %s", h)
	}
	x, y, ok := DecodeScore(3479099956230698)
	if !ok || x != 13.361389338970184 || y != 38.115556395496299 {
		t.Fatalf("Palermo position %v %v", x, y)
	}
	d := Distance(13.361389338970184, 38.115556395496299, 15.087267458438873, 37.50266842333162)
	if d < 166274.1515 || d > 166274.1516 {
		t.Fatalf("Palermo–Catania %v", d)
	}
}

func TestInterleaveRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i++ {
		a, b := rng.Uint32(), rng.Uint32()
		v := deinterleave64(interleave64(a, b))
		if uint32(v) != a || uint32(v>>32) != b {
			t.Fatalf("%x %x -> %x", a, b, v)
		}
	}
}

// Every point inside a search shape lies in one of the boxes Boxes returns.
func TestBoxesCoverShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 2000; i++ {
		s := Shape{Long: rng.Float64()*340 - 170, Lat: rng.Float64()*160 - 80, Conversion: 1000}
		if i%2 == 0 {
			s.Radius = rng.Float64() * 500
		} else {
			s.Box, s.Width, s.Height = true, rng.Float64()*800, rng.Float64()*800
		}
		boxes := s.Boxes()
		for j := 0; j < 50; j++ {
			x := s.Long + (rng.Float64()*2-1)*8
			y := s.Lat + (rng.Float64()*2-1)*4
			if x < LongMin || x > LongMax || y < LatMin || y > LatMax {
				continue
			}
			sc := float64(Score(x, y))
			px, py, _ := DecodeScore(sc)
			if _, in := s.Within(px, py); !in {
				continue
			}
			covered := false
			for _, b := range boxes {
				if b.IsZero() {
					continue
				}
				lo, hi := ScoreRange(b)
				if sc >= float64(lo) && sc < float64(hi) {
					covered = true
				}
			}
			if !covered {
				t.Fatalf("shape %+v: point %v,%v not covered", s, px, py)
			}
		}
	}
}

func BenchmarkDistance(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Distance(13.361389338970184, 38.115556395496299, 15.087267458438873+float64(i&7)*1e-3, 37.50266842333162)
	}
}
