// Package geo is Redis 7.0's geo indexing (geohash.c, geohash_helper.c,
// the search helpers of geo.c): 52-bit interleaved geohashes over
// longitude [-180,180] and latitude [-85.05112878,85.05112878], the nine
// boxes that cover a search shape, and the haversine distance on a sphere
// of radius 6372797.560856 m. Arithmetic follows Redis's operation order so
// scores, coordinates and distances come out bit for bit the same. Pure: no
// keyspace, no RESP.
package geo

// StepMax is the precision of stored scores: 26 steps, 52 bits.
const StepMax = 26

// Coordinate limits (EPSG:900913).
var (
	LatMin  = -85.05112878
	LatMax  = 85.05112878
	LongMin = -180.0
	LongMax = 180.0
)

// Bits is a geohash of Step*2 bits; the zero value (0 bits, step 0) is "none".
type Bits struct {
	Bits uint64
	Step uint8
}

// IsZero is HASHISZERO.
func (b Bits) IsZero() bool { return b.Bits == 0 && b.Step == 0 }

// Range is a coordinate interval.
type Range struct{ Min, Max float64 }

// Area is the box a hash stands for.
type Area struct {
	Hash      Bits
	Long, Lat Range
}

func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// Encode is geohashEncode over the given ranges; false outside the
// supported limits or for a bad step.
func Encode(long, lat Range, longitude, latitude float64, step uint8) (Bits, bool) {
	if step > 32 || step == 0 || (lat.Max == 0 && lat.Min == 0) || (long.Max == 0 && long.Min == 0) {
		return Bits{}, false
	}
	if longitude > LongMax || longitude < LongMin || latitude > LatMax || latitude < LatMin {
		return Bits{}, false
	}
	h := Bits{Step: step}
	if latitude < lat.Min || latitude > lat.Max || longitude < long.Min || longitude > long.Max {
		return h, false
	}
	latOff := (latitude - lat.Min) / (lat.Max - lat.Min)
	longOff := (longitude - long.Min) / (long.Max - long.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	longOff *= scale
	h.Bits = interleave64(toU32(latOff), toU32(longOff))
	return h, true
}

// toU32 is C's double → uint32_t conversion for the values Encode makes
// (0 ≤ v ≤ 2^32).
func toU32(v float64) uint32 { return uint32(uint64(v)) }

// WGS84 ranges of the stored hashes.
func coordRange() (long, lat Range) { return Range{LongMin, LongMax}, Range{LatMin, LatMax} }

// EncodeWGS84 is geohashEncodeWGS84.
func EncodeWGS84(longitude, latitude float64, step uint8) (Bits, bool) {
	lo, la := coordRange()
	return Encode(lo, la, longitude, latitude, step)
}

// Decode is geohashDecode.
func Decode(long, lat Range, h Bits) (Area, bool) {
	if h.IsZero() || (lat.Max == 0 && lat.Min == 0) || (long.Max == 0 && long.Min == 0) {
		return Area{}, false
	}
	a := Area{Hash: h}
	sep := deinterleave64(h.Bits)
	latScale := lat.Max - lat.Min
	longScale := long.Max - long.Min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.Step)
	a.Lat.Min = lat.Min + (float64(ilato)*1.0/div)*latScale
	a.Lat.Max = lat.Min + (float64(ilato+1)*1.0/div)*latScale
	a.Long.Min = long.Min + (float64(ilono)*1.0/div)*longScale
	a.Long.Max = long.Min + (float64(ilono+1)*1.0/div)*longScale
	return a, true
}

// Center is geohashDecodeAreaToLongLat: the box's centre, clamped to the limits.
func (a *Area) Center() (x, y float64) {
	x = (a.Long.Min + a.Long.Max) / 2
	x = min(max(x, LongMin), LongMax)
	y = (a.Lat.Min + a.Lat.Max) / 2
	y = min(max(y, LatMin), LatMax)
	return x, y
}

// DecodeScore is decodeGeohash: a sorted-set score (a 52-bit hash) to its
// longitude and latitude.
func DecodeScore(score float64) (x, y float64, ok bool) {
	lo, la := coordRange()
	a, ok := Decode(lo, la, Bits{Bits: scoreBits(score), Step: StepMax})
	if !ok {
		return 0, 0, false
	}
	x, y = a.Center()
	return x, y, true
}

// scoreBits is C's (uint64_t) conversion of a double as x86-64 code does
// it, including for scores no geo command wrote (negative, huge, NaN).
func scoreBits(s float64) uint64 {
	const two63 = 9223372036854775808.0
	switch {
	case s >= two63:
		d := s - two63
		if d >= two63 {
			return 0
		}
		return uint64(int64(d)) ^ 1<<63
	case s != s || s < -two63:
		return 1 << 63
	}
	return uint64(int64(s))
}

// Align52 is geohashAlign52Bits.
func Align52(h Bits) uint64 { return h.Bits << (52 - uint(h.Step)*2) }

// Score is the sorted-set score Redis stores for a position.
func Score(longitude, latitude float64) uint64 {
	h, _ := EncodeWGS84(longitude, latitude, StepMax)
	return Align52(h)
}

func moveX(h *Bits, d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

func moveY(h *Bits, d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= 0x5555555555555555 >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

// Neighbors are the eight boxes around a hash.
type Neighbors struct {
	North, South, East, West                   Bits
	NorthEast, SouthEast, NorthWest, SouthWest Bits
}

func neighborsOf(h Bits) Neighbors {
	mv := func(dx, dy int) Bits {
		b := h
		moveX(&b, dx)
		moveY(&b, dy)
		return b
	}
	return Neighbors{
		East: mv(1, 0), West: mv(-1, 0), South: mv(0, -1), North: mv(0, 1),
		NorthWest: mv(-1, 1), NorthEast: mv(1, 1), SouthEast: mv(1, -1), SouthWest: mv(-1, -1),
	}
}
