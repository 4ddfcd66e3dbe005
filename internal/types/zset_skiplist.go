package types

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// The big form of a sorted set: Pugh's skiplist with spans (rank in
// O(log n)), as Redis has it, whose nodes double as the entries of a chained
// hash table keyed by member. The intrusive table costs one pointer per
// element plus the bucket array, and its bucket order gives ZSCAN Redis's
// reverse-binary cursor guarantee (every element present for the whole scan
// is returned, across resizes).

const (
	zslMaxLevel = 32
	zslP        = 0.25
)

type zlevel struct {
	forward *znode
	span    int
}

type znode struct {
	member   string
	score    float64
	backward *znode
	hnext    *znode // hash chain
	level    []zlevel
}

// Nodes of the common low levels carry their level array in the same
// allocation (an interior pointer keeps the whole object alive).
type (
	znode1 struct {
		znode
		l [1]zlevel
	}
	znode2 struct {
		znode
		l [2]zlevel
	}
	znode3 struct {
		znode
		l [3]zlevel
	}
	znode4 struct {
		znode
		l [4]zlevel
	}
)

func newZnode(level int, score float64, member string) *znode {
	var n *znode
	switch level {
	case 1:
		x := &znode1{}
		x.level = x.l[:]
		n = &x.znode
	case 2:
		x := &znode2{}
		x.level = x.l[:]
		n = &x.znode
	case 3:
		x := &znode3{}
		x.level = x.l[:]
		n = &x.znode
	case 4:
		x := &znode4{}
		x.level = x.l[:]
		n = &x.znode
	default:
		n = &znode{level: make([]zlevel, level)}
	}
	n.score, n.member = score, member
	return n
}

// memberBytes views a node's member as bytes without copying; read only.
func (n *znode) memberBytes() []byte {
	return unsafe.Slice(unsafe.StringData(n.member), len(n.member))
}

type skiplist struct {
	header  *znode
	tail    *znode
	length  int
	level   int
	buckets []*znode
}

var zsetSeed = maphash.MakeSeed()

func newSkiplist() *skiplist {
	return &skiplist{header: &znode{level: make([]zlevel, zslMaxLevel)}, level: 1, buckets: make([]*znode, 4)}
}

func zslRandomLevel() int {
	// each extra level with probability 1/4: count pairs of zero bits.
	r := rand.Uint64() | 1<<62
	l := 1 + bits.TrailingZeros64(r)/2
	if l > zslMaxLevel {
		l = zslMaxLevel
	}
	return l
}

// less reports whether (s1, m1) sorts before (s2, m2).
func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// insert adds a node; member must not be present.
func (zsl *skiplist) insert(score float64, member string) *znode {
	x := newZnode(zslRandomLevel(), score, member)
	zsl.link(x)
	zsl.length++
	zsl.hashAdd(x)
	return x
}

// link puts node x (of level len(x.level)) at its sorted place; it does
// not count it or index it.
func (zsl *skiplist) link(x *znode) {
	var update [zslMaxLevel]*znode
	var rank [zslMaxLevel]int
	p := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i != zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for f := p.level[i].forward; f != nil && zless(f.score, f.member, x.score, x.member); f = p.level[i].forward {
			rank[i] += p.level[i].span
			p = f
		}
		update[i] = p
	}
	level := len(x.level)
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].level[i].span = zsl.length
		}
		zsl.level = level
	}
	for i := 0; i < level; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].level[i].span++
	}
	x.backward = nil
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x
	} else {
		zsl.tail = x
	}
}

// reinsert moves node x to a new score, reusing the node (Redis
// zslUpdateScore): no allocation, and the hash index is untouched.
func (zsl *skiplist) reinsert(x *znode, score float64) {
	var update [zslMaxLevel]*znode
	p := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := p.level[i].forward; f != nil && zless(f.score, f.member, x.score, x.member); f = p.level[i].forward {
			p = f
		}
		update[i] = p
	}
	zsl.unlink(x, &update)
	zsl.length++ // unlink counted it out; it stays
	x.score = score
	zsl.link(x)
}

func (zsl *skiplist) unlink(x *znode, update *[zslMaxLevel]*znode) {
	for i := 0; i < zsl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.level[zsl.level-1].forward == nil {
		zsl.level--
	}
	zsl.length--
}

// remove deletes the node of (score, member), which must be present.
func (zsl *skiplist) remove(score float64, member string) {
	var update [zslMaxLevel]*znode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && zless(f.score, f.member, score, member); f = x.level[i].forward {
			x = f
		}
		update[i] = x
	}
	x = x.level[0].forward
	zsl.unlink(x, &update)
	zsl.hashRemove(x)
	zsl.maybeShrink()
}

// rank is the 1-based rank of (score, member), which must be present.
func (zsl *skiplist) rank(score float64, member string) int {
	r := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && (f.score < score || (f.score == score && f.member <= member)); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
		if x != zsl.header && x.member == member {
			return r
		}
	}
	return 0
}

// byRank returns the node of 1-based rank r (1 ≤ r ≤ length).
func (zsl *skiplist) byRank(r int) *znode {
	t := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && t+x.level[i].span <= r; f = x.level[i].forward {
			t += x.level[i].span
			x = f
		}
		if t == r {
			return x
		}
	}
	return nil
}

// countPrefix is the number of leading nodes for which pred holds; pred
// must hold for a prefix of the order (monotone).
func (zsl *skiplist) countPrefix(pred func(n *znode) bool) int {
	r := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && pred(f); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
	}
	return r
}

// removeRanks deletes the nodes of 0-based ranks [lo, hi).
func (zsl *skiplist) removeRanks(lo, hi int) {
	var update [zslMaxLevel]*znode
	t := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && t+x.level[i].span <= lo; f = x.level[i].forward {
			t += x.level[i].span
			x = f
		}
		update[i] = x
	}
	x = x.level[0].forward
	for k := lo; k < hi && x != nil; k++ {
		next := x.level[0].forward
		zsl.unlink(x, &update)
		zsl.hashRemove(x)
		x = next
	}
	zsl.maybeShrink()
}

// --- hash index -----------------------------------------------------------

func (zsl *skiplist) bucketOf(h uint64) int { return int(h & uint64(len(zsl.buckets)-1)) }

func (zsl *skiplist) find(member []byte) *znode {
	h := maphash.Bytes(zsetSeed, member)
	for n := zsl.buckets[zsl.bucketOf(h)]; n != nil; n = n.hnext {
		if n.member == string(member) {
			return n
		}
	}
	return nil
}

func (zsl *skiplist) hashAdd(n *znode) {
	if zsl.length > len(zsl.buckets) {
		zsl.resize(len(zsl.buckets) * 2)
	}
	b := zsl.bucketOf(maphash.String(zsetSeed, n.member))
	n.hnext = zsl.buckets[b]
	zsl.buckets[b] = n
}

func (zsl *skiplist) hashRemove(n *znode) {
	b := zsl.bucketOf(maphash.String(zsetSeed, n.member))
	p := &zsl.buckets[b]
	for *p != n {
		p = &(*p).hnext
	}
	*p = n.hnext
	n.hnext = nil
}

// maybeShrink shrinks the bucket array when under 10% full, as Redis does.
func (zsl *skiplist) maybeShrink() {
	if len(zsl.buckets) > 4 && zsl.length*10 < len(zsl.buckets) {
		size := 4
		for size < zsl.length {
			size *= 2
		}
		zsl.resize(size)
	}
}

func (zsl *skiplist) resize(size int) {
	old := zsl.buckets
	zsl.buckets = make([]*znode, size)
	for _, n := range old {
		for n != nil {
			next := n.hnext
			b := zsl.bucketOf(maphash.String(zsetSeed, n.member))
			n.hnext = zsl.buckets[b]
			zsl.buckets[b] = n
			n = next
		}
	}
}

// scan visits the buckets from cursor on, Redis dictScan style, until at
// least count elements were emitted or 10*count buckets were visited, and
// returns the next cursor (0 when done).
func (zsl *skiplist) scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	mask := uint64(len(zsl.buckets) - 1)
	emitted := 0
	for iter := 0; ; iter++ {
		for n := zsl.buckets[cursor&mask]; n != nil; n = n.hnext {
			fn(n.memberBytes(), n.score)
			emitted++
		}
		cursor |= ^mask
		cursor = bits.Reverse64(cursor)
		cursor++
		cursor = bits.Reverse64(cursor)
		if cursor == 0 || emitted >= count || iter >= count*10 {
			return cursor
		}
	}
}
