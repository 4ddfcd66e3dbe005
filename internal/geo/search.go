package geo

import "math"

// EarthRadius is Redis's earth radius in metres (quadratic mean, WGS-84).
const EarthRadius = 6372797.560856

const mercatorMax = 20037726.37

// dR is Redis's D_R, M_PI/180 rounded once to a double.
var dR = func() float64 { pi := math.Pi; return pi / 180.0 }()

func degRad(a float64) float64 { return a * dR }
func radDeg(a float64) float64 { return a / dR }

// LatDistance is geohashGetLatDistance.
func LatDistance(lat1, lat2 float64) float64 {
	return EarthRadius * math.Abs(degRad(lat2)-degRad(lat1))
}

// Distance is geohashGetDistance: the haversine distance in metres.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := degRad(lon1)
	lon2r := degRad(lon2)
	v := crSin((lon2r - lon1r) / 2)
	if v == 0.0 {
		return LatDistance(lat1, lat2)
	}
	lat1r := degRad(lat1)
	lat2r := degRad(lat2)
	u := crSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(crCos(lat1r)*crCos(lat2r))*v)*v)
	return 2.0 * EarthRadius * crAsin(math.Sqrt(a))
}

// Shape is a search area: a circle of Radius, or a Width × Height box, in
// units of Conversion metres, centred on Long, Lat.
type Shape struct {
	Long, Lat     float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conversion    float64
	Bounds        [4]float64 // min long, min lat, max long, max lat
}

// Within is geoWithinShape for a decoded point: its distance from the
// centre in metres, and whether it is inside.
func (s *Shape) Within(x, y float64) (float64, bool) {
	if !s.Box {
		d := Distance(s.Long, s.Lat, x, y)
		return d, d <= s.Radius*s.Conversion
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if LatDistance(y, s.Lat) > h/2 {
		return 0, false
	}
	if Distance(x, y, s.Long, y) > w/2 {
		return 0, false
	}
	return Distance(s.Long, s.Lat, x, y), true
}

// estimateSteps is geohashEstimateStepsByRadius.
func estimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// boundingBox is geohashBoundingBox.
func (s *Shape) boundingBox() {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := radDeg(height / EarthRadius)
	longDeltaTop := radDeg(width / EarthRadius / crCos(degRad(s.Lat+latDelta)))
	longDeltaBottom := radDeg(width / EarthRadius / crCos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		s.Bounds[0] = s.Long - longDeltaBottom
		s.Bounds[2] = s.Long + longDeltaBottom
	} else {
		s.Bounds[0] = s.Long - longDeltaTop
		s.Bounds[2] = s.Long + longDeltaTop
	}
	s.Bounds[1] = s.Lat - latDelta
	s.Bounds[3] = s.Lat + latDelta
}

// Boxes is geohashCalculateAreasByShapeWGS84 followed by the order
// membersOfAllNeighbors searches in: the centre box, then N, S, E, W, NE,
// NW, SE, SW; boxes found useless are zero.
func (s *Shape) Boxes() [9]Bits {
	s.boundingBox()
	minLon, minLat, maxLon, maxLat := s.Bounds[0], s.Bounds[1], s.Bounds[2], s.Bounds[3]
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	}
	radius *= s.Conversion
	steps := estimateSteps(radius, s.Lat)
	lo, la := coordRange()
	hash, _ := Encode(lo, la, s.Long, s.Lat, steps)
	nb := neighborsOf(hash)
	area, _ := Decode(lo, la, hash)

	decrease := false
	{
		north, _ := Decode(lo, la, nb.North)
		south, _ := Decode(lo, la, nb.South)
		east, _ := Decode(lo, la, nb.East)
		west, _ := Decode(lo, la, nb.West)
		if north.Lat.Max < maxLat || south.Lat.Min > minLat || east.Long.Max < maxLon || west.Long.Min > minLon {
			decrease = true
		}
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = Encode(lo, la, s.Long, s.Lat, steps)
		nb = neighborsOf(hash)
		area, _ = Decode(lo, la, hash)
	}
	if steps >= 2 {
		if area.Lat.Min < minLat {
			nb.South, nb.SouthWest, nb.SouthEast = Bits{}, Bits{}, Bits{}
		}
		if area.Lat.Max > maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Long.Min < minLon {
			nb.West, nb.SouthWest, nb.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Long.Max > maxLon {
			nb.East, nb.SouthEast, nb.NorthEast = Bits{}, Bits{}, Bits{}
		}
	}
	return [9]Bits{hash, nb.North, nb.South, nb.East, nb.West, nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}
}

// ScoreRange is scoresOfGeoHashBox: the scores [min, max) of the members
// inside box h.
func ScoreRange(h Bits) (lo, hi uint64) {
	lo = Align52(h)
	h.Bits++
	return lo, Align52(h)
}

// Hash11 is GEOHASH's 11-character standard geohash of a stored score.
func Hash11(score float64) (string, bool) {
	x, y, ok := DecodeScore(score)
	if !ok {
		return "", false
	}
	h, _ := Encode(Range{-180, 180}, Range{-90, 90}, x, y, 26)
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	var buf [11]byte
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.Bits>>(52-(uint(i)+1)*5)) & 0x1f
		}
		buf[i] = alphabet[idx]
	}
	return string(buf[:]), true
}
