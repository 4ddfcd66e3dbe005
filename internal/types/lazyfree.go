package types

// LazyFreeThreshold is the free effort above which Redis hands a deleted
// value to its background thread (lazyfree.c's LAZYFREE_THRESHOLD): only
// those count in INFO's lazyfreed_objects.
const LazyFreeThreshold = 64

// FreeEffort is Redis's lazyfreeGetFreeEffort for a value of this
// encoding: a list's quicklist node count, a hashtable set's or hash's or
// a skiplist zset's element count, a stream's rax node count plus, per
// consumer group, one and the first group's PEL size; 1 for anything
// held in one allocation (strings, listpacks, intsets).
func FreeEffort(o Object) int {
	switch v := o.(type) {
	case nil:
		return 1
	case *List:
		return v.Nodes()
	case *Set:
		if v.tab() != nil {
			return v.Len()
		}
	case *ZSet:
		if !v.IsCompact() {
			return v.Len()
		}
	case *Hash:
		if v.IsTable() {
			return v.Len()
		}
	case *Stream:
		n := v.RaxNodes()
		if g := v.GroupCount(); g > 0 {
			pel := 0
			v.EachGroup(func(_ string, first *StreamGroup) bool {
				pel = first.PEL.Len()
				return false
			})
			n += g * (1 + pel)
		}
		return n
	}
	return 1
}
