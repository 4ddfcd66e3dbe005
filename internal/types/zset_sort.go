package types

// ConvertToSkiplist turns a compact sorted set into the skiplist form for
// good, as Redis 7.0's SORT does to the set it sorts (zsetConvert), so
// OBJECT ENCODING reports "skiplist" afterwards.
func (z *ZSet) ConvertToSkiplist() {
	if z.skip() == nil {
		z.convert()
	}
}
