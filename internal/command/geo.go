package command

import (
	"math"
	"slices"
	"strconv"

	"github.com/shoal-db/shoal/internal/geo"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/types"
)

func registerGeo(t *Table) {
	t.Handle("geoadd", cmdGeoadd)
	t.Handle("geodist", cmdGeodist)
	t.Handle("geohash", cmdGeohash)
	t.Handle("geopos", cmdGeopos)
	t.Handle("georadius", func(c *Ctx) { geoSearch(c, 1, geoCoords) })
	t.Handle("georadius_ro", func(c *Ctx) { geoSearch(c, 1, geoCoords|geoNoStore) })
	t.Handle("georadiusbymember", func(c *Ctx) { geoSearch(c, 1, geoMember) })
	t.Handle("georadiusbymember_ro", func(c *Ctx) { geoSearch(c, 1, geoMember|geoNoStore) })
	t.Handle("geosearch", func(c *Ctx) { geoSearch(c, 1, geoSearchCmd) })
	t.Handle("geosearchstore", func(c *Ctx) { geoSearch(c, 2, geoSearchCmd|geoSearchStore) })
}

// Search variants (geo.c's RADIUS_* flags).
const (
	geoCoords = 1 << iota
	geoMember
	geoNoStore
	geoSearchCmd
	geoSearchStore
)

// cFloatF is C's printf("%f").
func cFloatF(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoLongLat parses a longitude and a latitude (extractLongLatOrReply).
func geoLongLat(c *Ctx, args [][]byte) (x, y float64, ok bool) {
	var xy [2]float64
	for i := range xy {
		v, ok := zParseDouble(args[i])
		if !ok {
			c.Error(rediserr.NotFloat)
			return 0, 0, false
		}
		xy[i] = v
	}
	if xy[0] < geo.LongMin || xy[0] > geo.LongMax || xy[1] < geo.LatMin || xy[1] > geo.LatMax {
		c.Error(rediserr.GeoBadPair(cFloatF(xy[0]), cFloatF(xy[1])))
		return 0, 0, false
	}
	return xy[0], xy[1], true
}

// geoUnit is extractUnitOrReply: metres per unit, or -1 after an error.
func geoUnit(c *Ctx, u []byte) float64 {
	switch {
	case optIs(u, "m"):
		return 1
	case optIs(u, "km"):
		return 1000
	case optIs(u, "ft"):
		return 0.3048
	case optIs(u, "mi"):
		return 1609.34
	}
	c.Error(rediserr.GeoUnit)
	return -1
}

// appendDistance is addReplyDoubleDistance's text: four decimals, rounded
// half to even on the scaled value (fixedpoint_d2string).
func appendDistance(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	v := int64(math.RoundToEven(d * 10000))
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	dst = strconv.AppendInt(dst, v/10000, 10)
	frac := v % 10000
	dst = append(dst, '.', byte('0'+frac/1000), byte('0'+frac/100%10), byte('0'+frac/10%10), byte('0'+frac%10))
	return dst
}

func replyDistance(c *Ctx, d float64) {
	var tmp [32]byte
	c.W.Bulk(appendDistance(tmp[:0], d))
}

// appendHumanLD is ld2string's LD_STR_HUMAN: %.17Lf without trailing zeros.
func appendHumanLD(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// replyHumanLD is addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3.
func replyHumanLD(c *Ctx, f float64) {
	var tmp [48]byte
	b := appendHumanLD(tmp[:0], f)
	if c.W.Proto >= 3 {
		c.W.Raw([]byte{','})
		c.W.Raw(b)
		c.W.Raw([]byte("\r\n"))
		return
	}
	c.W.Bulk(b)
}

// cmdGeoadd rewrites GEOADD key [NX|XX] [CH] long lat member … into ZADD
// with each position's 52-bit score and runs ZADD, as Redis does.
func cmdGeoadd(c *Ctx) {
	xx, nx := false, false
	li := 2
	for ; li < len(c.Args); li++ {
		switch opt := c.Args[li]; {
		case optIs(opt, "nx"):
			nx = true
		case optIs(opt, "xx"):
			xx = true
		case optIs(opt, "ch"):
		default:
			goto done
		}
	}
done:
	if (len(c.Args)-li)%3 != 0 || (xx && nx) {
		c.Error(rediserr.Syntax)
		return
	}
	n := (len(c.Args) - li) / 3
	args := make([][]byte, 0, li+2*n)
	args = append(args, []byte("zadd"))
	args = append(args, c.Args[1:li]...)
	for i := 0; i < n; i++ {
		p := c.Args[li+3*i:]
		x, y, ok := geoLongLat(c, p)
		if !ok {
			return
		}
		args = append(args, strconv.AppendUint(nil, geo.Score(x, y), 10), p[2])
	}
	// Redis replaces the command vector: ZADD is what runs, and what is
	// propagated.
	orig := c.Args
	c.Args = args
	zAddGeneric(c, 0)
	c.Args = orig
	if c.Dirty > 0 && c.Propagated == 0 {
		c.Propagate(args...)
	}
}

func cmdGeodist(c *Ctx) {
	toMeter := 1.0
	if len(c.Args) == 5 {
		if toMeter = geoUnit(c, c.Args[4]); toMeter < 0 {
			return
		}
	} else if len(c.Args) > 5 {
		c.Error(rediserr.Syntax)
		return
	}
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	s1, ok1 := z.Score(c.Args[2])
	s2, ok2 := z.Score(c.Args[3])
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	x1, y1, ok1 := geo.DecodeScore(s1)
	x2, y2, ok2 := geo.DecodeScore(s2)
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	replyDistance(c, geo.Distance(x1, y1, x2, y2)/toMeter)
}

func cmdGeohash(c *Ctx) {
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var h string
		found := false
		if z != nil {
			if s, in := z.Score(m); in {
				h, found = geo.Hash11(s)
			}
		}
		if !found {
			c.W.Null()
			continue
		}
		c.W.BulkString(h)
	}
}

func cmdGeopos(c *Ctx) {
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var x, y float64
		found := false
		if z != nil {
			if s, in := z.Score(m); in {
				x, y, found = geo.DecodeScore(s)
			}
		}
		if !found {
			c.W.NullArray()
			continue
		}
		c.W.Array(2)
		replyHumanLD(c, x)
		replyHumanLD(c, y)
	}
}

// geoPoint is one search result.
type geoPoint struct {
	long, lat, dist, score float64
	member                 string
}

// geoMemberPos is longLatFromMember.
func geoMemberPos(z *types.ZSet, m []byte) (x, y float64, ok bool) {
	s, in := z.Score(m)
	if !in {
		return 0, 0, false
	}
	return geo.DecodeScore(s)
}

// geoDistance parses <radius> <unit> (extractDistanceOrReply).
func geoDistance(c *Ctx, args [][]byte) (radius, conv float64, ok bool) {
	d, ok := zParseDouble(args[0])
	if !ok {
		c.Error(rediserr.GeoNeedRadius)
		return 0, 0, false
	}
	if d < 0 {
		c.Error(rediserr.GeoNegRadius)
		return 0, 0, false
	}
	if conv = geoUnit(c, args[1]); conv < 0 {
		return 0, 0, false
	}
	return d, conv, true
}

// geoSearch is georadiusGeneric: every GEORADIUS* and GEOSEARCH* command.
func geoSearch(c *Ctx, srcIdx int, flags int) {
	z, ok := zLookup(c, c.Args[srcIdx])
	if !ok {
		return
	}
	var storeKey []byte
	storeDist := false
	var shape geo.Shape
	var base int
	switch {
	case flags&geoCoords != 0:
		base = 6
		x, y, ok := geoLongLat(c, c.Args[2:])
		if !ok {
			return
		}
		shape.Long, shape.Lat = x, y
		if shape.Radius, shape.Conversion, ok = geoDistance(c, c.Args[base-2:]); !ok {
			return
		}
	case flags&geoMember != 0 && z == nil:
		base = 5
	case flags&geoMember != 0:
		base = 5
		x, y, ok := geoMemberPos(z, c.Args[2])
		if !ok {
			c.Error(rediserr.GeoNoMember)
			return
		}
		shape.Long, shape.Lat = x, y
		if shape.Radius, shape.Conversion, ok = geoDistance(c, c.Args[base-2:]); !ok {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = c.Args[1]
		}
	}

	withDist, withHash, withCoord := false, false, false
	fromMember, fromLoc, byRadius, byBox := false, false, false, false
	sortDir := 0 // 0 none, 1 asc, 2 desc
	any := false
	var count int64
	rem := len(c.Args) - base
	for i := 0; i < rem; i++ {
		arg := c.Args[base+i]
		next := c.Args[base+i+1:]
		switch {
		case optIs(arg, "withdist"):
			withDist = true
		case optIs(arg, "withhash"):
			withHash = true
		case optIs(arg, "withcoord"):
			withCoord = true
		case optIs(arg, "any"):
			any = true
		case optIs(arg, "asc"):
			sortDir = 1
		case optIs(arg, "desc"):
			sortDir = 2
		case optIs(arg, "count") && i+1 < rem:
			n, ok := intArg(c, next[0], rediserr.NotInteger)
			if !ok {
				return
			}
			if n <= 0 {
				c.Error(rediserr.CountOptionPositive)
				return
			}
			count = n
			i++
		case optIs(arg, "store") && i+1 < rem && flags&(geoNoStore|geoSearchCmd) == 0:
			storeKey, storeDist = next[0], false
			i++
		case optIs(arg, "storedist") && i+1 < rem && flags&(geoNoStore|geoSearchCmd) == 0:
			storeKey, storeDist = next[0], true
			i++
		case optIs(arg, "storedist") && flags&geoSearchCmd != 0 && flags&geoSearchStore != 0:
			storeDist = true
		case optIs(arg, "frommember") && i+1 < rem && flags&geoSearchCmd != 0 && !fromLoc:
			if z == nil {
				fromMember = true
				i++
				continue
			}
			x, y, ok := geoMemberPos(z, next[0])
			if !ok {
				c.Error(rediserr.GeoNoMember)
				return
			}
			shape.Long, shape.Lat = x, y
			fromMember = true
			i++
		case optIs(arg, "fromlonlat") && i+2 < rem && flags&geoSearchCmd != 0 && !fromMember:
			x, y, ok := geoLongLat(c, next)
			if !ok {
				return
			}
			shape.Long, shape.Lat = x, y
			fromLoc = true
			i += 2
		case optIs(arg, "byradius") && i+2 < rem && flags&geoSearchCmd != 0 && !byBox:
			var ok bool
			if shape.Radius, shape.Conversion, ok = geoDistance(c, next); !ok {
				return
			}
			shape.Box = false
			byRadius = true
			i += 2
		case optIs(arg, "bybox") && i+3 < rem && flags&geoSearchCmd != 0 && !byRadius:
			w, ok := zParseDouble(next[0])
			if !ok {
				c.Error(rediserr.GeoNeedWidth)
				return
			}
			h, ok := zParseDouble(next[1])
			if !ok {
				c.Error(rediserr.GeoNeedHeight)
				return
			}
			if h < 0 || w < 0 {
				c.Error(rediserr.GeoNegBox)
				return
			}
			conv := geoUnit(c, next[2])
			if conv < 0 {
				return
			}
			shape.Width, shape.Height, shape.Conversion, shape.Box = w, h, conv, true
			byBox = true
			i += 3
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		if flags&geoSearchStore != 0 {
			c.Error(rediserr.GeoStoreSearch)
		} else {
			c.Error(rediserr.GeoStoreRadius)
		}
		return
	}
	if flags&geoSearchCmd != 0 && !(fromMember || fromLoc) {
		c.Error(rediserr.GeoNeedFrom(string(c.Args[0])))
		return
	}
	if flags&geoSearchCmd != 0 && !(byRadius || byBox) {
		c.Error(rediserr.GeoNeedBy(string(c.Args[0])))
		return
	}
	if any && count == 0 {
		c.Error(rediserr.GeoAnyNeedsCount)
		return
	}
	if z == nil {
		if storeKey != nil {
			if c.DB.Delete(storeKey) {
				c.Notify(NotifyGeneric, "del", storeKey)
				c.Dirty++
			}
			c.W.Int(0)
		} else {
			c.W.Array(0)
		}
		return
	}
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}

	limit := 0
	if any {
		limit = int(min(count, math.MaxInt32))
	}
	pts := geoCollect(z, &shape, limit)
	if len(pts) == 0 && storeKey == nil {
		c.W.Array(0)
		return
	}
	returned := len(pts)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	if sortDir != 0 {
		less := func(a, b *geoPoint) int {
			switch {
			case a.dist > b.dist:
				return 1
			case a.dist == b.dist:
				return 0
			}
			return -1
		}
		if sortDir == 2 {
			asc := less
			less = func(a, b *geoPoint) int { return -asc(a, b) }
		}
		if returned == len(pts) {
			// glibc's qsort is a merge sort here: stable.
			slices.SortStableFunc(pts, func(a, b geoPoint) int { return less(&a, &b) })
		} else {
			pqsort(pts, less, 0, returned-1)
		}
	}

	if storeKey == nil {
		opts := 0
		for _, b := range []bool{withDist, withCoord, withHash} {
			if b {
				opts++
			}
		}
		c.W.Array(returned)
		for i := 0; i < returned; i++ {
			p := &pts[i]
			p.dist /= shape.Conversion
			if opts > 0 {
				c.W.Array(opts + 1)
			}
			c.W.BulkString(p.member)
			if withDist {
				replyDistance(c, p.dist)
			}
			if withHash {
				c.W.Int(int64(p.score))
			}
			if withCoord {
				c.W.Array(2)
				replyHumanLD(c, p.long)
				replyHumanLD(c, p.lat)
			}
		}
		return
	}
	if returned == 0 {
		if c.DB.Delete(storeKey) {
			c.Notify(NotifyGeneric, "del", storeKey)
			c.Dirty++
		}
		c.W.Int(0)
		return
	}
	maxLen := 0
	for i := 0; i < returned; i++ {
		maxLen = max(maxLen, len(pts[i].member))
	}
	lim := c.Limits()
	out := types.NewZSet(returned, maxLen, lim)
	for i := 0; i < returned; i++ {
		p := &pts[i]
		p.dist /= shape.Conversion
		score := p.score
		if storeDist {
			score = p.dist
		}
		out.Insert([]byte(p.member), score, lim)
	}
	c.DB.SetObject(storeKey, out, false)
	c.SignalReady(storeKey)
	if flags&geoSearchCmd != 0 {
		c.Notify(NotifyZset, "geosearchstore", storeKey)
	} else {
		c.Notify(NotifyZset, "georadiusstore", storeKey)
	}
	c.Dirty += returned
	c.W.Int(int64(returned))
}

// geoCollect is membersOfAllNeighbors: the members inside shape, box by
// box, stopping at limit (ANY) when limit > 0.
func geoCollect(z *types.ZSet, shape *geo.Shape, limit int) []geoPoint {
	boxes := shape.Boxes()
	var pts []geoPoint
	last := 0 // as in Redis, 0 means none: a neighbour equal to the centre box is searched again
	for i, b := range boxes {
		if b.IsZero() {
			continue
		}
		if last != 0 && b == boxes[last] {
			continue
		}
		if len(pts) > 0 && limit > 0 && len(pts) >= limit {
			break
		}
		lo, hi := geo.ScoreRange(b)
		r := types.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true}
		from, to := z.ScoreRanks(&r)
		z.Range(from, to, false, func(m []byte, s float64) bool {
			if x, y, ok := geo.DecodeScore(s); ok {
				if d, in := shape.Within(x, y); in {
					pts = append(pts, geoPoint{long: x, lat: y, dist: d, score: s, member: string(m)})
				}
			}
			return !(len(pts) > 0 && limit > 0 && len(pts) >= limit)
		})
		last = i
	}
	return pts
}
