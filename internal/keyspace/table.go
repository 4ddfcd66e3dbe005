package keyspace

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync"
	"unsafe"

	"github.com/shoal-db/shoal/internal/types"
)

// slotTable is one slot's share of a database: a compact open-addressing
// hash table, swiss-style. ctrl holds one byte per position: a 7-bit tag of
// the key's hash for a live entry, or ctrlEmpty/ctrlDeleted. Positions are
// probed a group of 8 control bytes at a time (SWAR on a uint64), groups in
// linear order from the one the hash selects; a probe ends at the first group
// holding an empty byte. The capacity is any multiple of 8 (the start group
// is picked by multiply-shift, not a mask), so growth can be finer than
// doubling, or, for a slot of few keys, 1 to 7: such a table is one group
// whose control bytes past its capacity hold ctrlPad, so its entries array
// is only as long as its capacity (a slot's first table holds one entry:
// 24 bytes of arrays, not the 136 of a full group; at 10,000 keys most of
// the 16,384 slots hold none or one).
//
// A string entry points at ONE allocation, which holds the key bytes, the
// value bytes and, for a key with a TTL, 8 bytes of expiry time (absolute
// ms, little endian): [key][value][ttl]. Its lengths and flags live in the
// entry, so a 16-byte key with a 16-byte value costs exactly a 32-byte size
// class plus 17 bytes of table per position. The allocation holds no
// pointers, so the GC never scans it. Key bytes are never written after the
// entry is placed, so keys handed out by ForEachInSlot and KeysInSlot stay
// valid after the stripe lock is released. Value bytes are rewritten in
// place only by MutateString, and by SetString and Replace (into the record
// of the value they replace, when it fits), under the lock: readers of a value
// copy what they keep before releasing it (replies, scripts, DUMP,
// MIGRATE), and a snapshot takes the slot first (BeforeWrite). The TTL
// trailer is rewritten in place (EXPIRE on a key that already has one).
//
// A collection, a string value of 1 GB or more, or a key of 256 bytes or
// more (an entry keeps 30 bits of value length and 8 of key length beside
// a 24-bit access clock) is boxed: the
// entry points at an objBox or strBox carrying key, value and TTL.
//
// The control bytes go two groups to a 32-byte ctrlChunk, beside the
// pointer to those groups' entries: [group 2k][entries][group 2k+1][pad],
// so the control word a probe loads brings the entries' pointer in the
// same cache line. A table of more than one group (a multiple of
// chunkSize positions) keeps its entries in chunks of chunkSize: growing,
// it allocates new chunks and moves its entries among them in place,
// dropping its control chunks (2 bytes a position), not its entries (16).
// A table of up to one group has a 16-byte smallCtrl and one array of
// exactly its capacity. Each table grew by dropping
// all its arrays before, and a replica taking new keys spent ~69 of the
// ~85 bytes it allocated per key on them: the collector ran for the
// dropped arrays, marking the whole keyspace each time
// (docs/replication.md).
//
// The header is 40 bytes (a 48-byte size class), as most slots of a
// small dataset hold one key: the control bytes are a pointer (the
// entries' pointers are in them) and the counts are 32-bit.
type slotTable struct {
	// ctl is the control chunks ([]ctrlChunk, or a smallCtrl up to one
	// group); nil with no arrays.
	ctl      unsafe.Pointer
	cap      int32 // positions
	n        int32 // live entries
	dead     int32 // tombstones (ctrlDeleted)
	volatile int32 // live entries with a TTL
	sweep    int32 // next position active expiry examines
	// touched is the sum of the bytes resize touched to bring the records
	// into the cache before hashing them (kept so the loads stay).
	touched uint32
	// grown is the net bytes resizes added to the table's arrays, not yet
	// added to the stripe's count (DB.place and Keyspace.released do).
	grown int64
}

// chunkSize is the positions of a chunk of entries: two groups, 256
// bytes (a size class of Go's allocator, so no slack).
const chunkSize = 2 * groupSize

type entryChunk [chunkSize]entry

// ctrlChunk is two groups' control bytes and their entries' address: a
// chunk, or the table's one array of entries.
type ctrlChunk struct {
	g0   [groupSize]uint8
	ents unsafe.Pointer
	g1   [groupSize]uint8
	_    [8]byte // 32 bytes: a chunk never spans two cache lines
}

// smallCtrl is a ctrlChunk's first half: a table of up to one group.
type smallCtrl struct {
	g0   [groupSize]uint8
	ents unsafe.Pointer
}

const (
	ctrlChunkBytes = unsafe.Sizeof(ctrlChunk{})
	entsOffset     = unsafe.Offsetof(ctrlChunk{}.ents)
	g1Offset       = unsafe.Offsetof(ctrlChunk{}.g1)
	entryBytes     = unsafe.Sizeof(entry{})
)

type entry struct {
	p unsafe.Pointer // record ([key][value][ttl]), *objBox or *strBox; nil for an empty record
	// kl holds the key length in its top 8 bits (an unboxed record's, or
	// an objBox16/32's) and the key's 24-bit access clock below (Redis's
	// robj.lru: LRU seconds, or LFU minutes<<8 | counter; see clock.go).
	// Updating the clock is a plain store under the stripe lock.
	kl uint32
	// vlen is the value length (a box kind if boxed); flagVolatile marks a
	// TTL, flagBoxed a box.
	vlen uint32
}

// Boxes of a collection. The smallest that fits is used: a key of up to 16
// or 32 bytes is held inside the box (its length is the entry's klen), so a
// typical collection key costs one 32- or 48-byte box; a longer key, or a
// TTL, takes a box with a key string. Boxes are never handed out, so they
// may be updated in place; their key bytes never change.
type objBox16 struct {
	obj types.Object
	key [16]byte
}

type objBox32 struct {
	obj types.Object
	key [32]byte
}

type objBoxKey struct {
	obj types.Object
	key string
}

type objBoxTTL struct {
	obj types.Object
	key string
	exp int64
}

// strBox holds a string too long for the 31-bit lengths of an entry.
type strBox struct {
	key, str string
	exp      int64
}

const (
	ctrlEmpty   = 0x80
	ctrlDeleted = 0xFE
	// ctrlPad marks a control byte past a small table's capacity: it ends
	// a probe like an empty byte (matchEmpty: high bit set, bit 1 clear),
	// is never a free position (matchEmptyOrDead: bit 0 set) and matches
	// no tag. So a full small table needs no empty position to end its
	// probes: its one group always holds a pad.
	ctrlPad   = 0x81
	groupSize = 8
	lsb       = 0x0101010101010101
	msb       = 0x8080808080808080

	flagVolatile = 1 << 31 // in vlen
	flagBoxed    = 1 << 30 // in vlen
	lenMask      = 1<<30 - 1
	clockMask    = 1<<24 - 1 // in kl
	keyShift     = 24        // kl>>keyShift is the key length
	// keyInlineMax is the key length from which a key is boxed: its length
	// must fit the 8 bits kl leaves beside the clock.
	keyInlineMax = 256

	// The box kind, in the low bits of a boxed entry's vlen.
	boxObj16  = 1
	boxObj32  = 2
	boxObjKey = 3
	boxObjTTL = 4
	boxStr    = 5

	minCapacity = 1
)

// inlineMax is the length from which a key or string value is boxed
// (value lengths must fit 30 bits, key lengths 8: keyInlineMax); a
// variable so tests can exercise boxes.
var inlineMax = lenMask

var hashSeed = maphash.MakeSeed()

func hashKey(k string) uint64 { return maphash.String(hashSeed, k) }

func tagOf(h uint64) uint8 { return uint8(h >> 57) }

// maxLoad is how many positions (live or tombstone) a table of capacity c
// may use: 7/8, leaving an empty byte to end every probe.
func maxLoad(c int) int { return c - c/8 }

// capacityFor is the smallest capacity whose maxLoad holds n: n itself
// below a group (a small table may be full, see ctrlPad).
func capacityFor(n int) int {
	if n < groupSize {
		return max(n, minCapacity)
	}
	c := (n*8/7 + groupSize) &^ (groupSize - 1)
	for maxLoad(c) < n {
		c += groupSize
	}
	return c
}

// growTo is the capacity a full table of capacity c grows to: ×1.5, so the
// average load stays near 0.7 rather than the 0.65 of doubling; a per-slot
// table is small, so rehashing more often costs little. A small table
// doubles, up to one group (1, 2, 4, 8).
func growTo(c int) int {
	if c < groupSize {
		return min(2*c, groupSize)
	}
	return (c + c/2 + groupSize - 1) &^ (groupSize - 1)
}

// chunked rounds capacity c up to whole chunks above a group.
func chunked(c int) int {
	if c <= groupSize {
		return c
	}
	return (c + chunkSize - 1) &^ (chunkSize - 1)
}

// capacity is the table's number of positions (ctrlLen may be more: a
// small table's pads).
func (t *slotTable) capacity() int { return int(t.cap) }

// groupCtrl is the address of group g's control bytes.
func (t *slotTable) groupCtrl(g uint) unsafe.Pointer {
	return unsafe.Add(t.ctl, g/2*uint(ctrlChunkBytes)+g%2*uint(g1Offset))
}

// chunkEnts is the address of the entries of chunk k (positions
// k*chunkSize on).
func (t *slotTable) chunkEnts(k uint) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(t.ctl, k*uint(ctrlChunkBytes)+uint(entsOffset)))
}

// at is the entry at position i (< capacity).
func (t *slotTable) at(i int) *entry {
	if uint(i) >= uint(t.cap) {
		panic("keyspace: table position out of range")
	}
	return (*entry)(unsafe.Add(t.chunkEnts(uint(i)/chunkSize), uint(i)%chunkSize*uint(entryBytes)))
}

// groupBase is where group g's entries start. Its load does not depend
// on the group's control word, and shares its cache line, so a lookup
// that issues both first waits for one cache miss.
func (t *slotTable) groupBase(g int) unsafe.Pointer {
	return unsafe.Add(t.chunkEnts(uint(g)/2), uint(g)%2*groupSize*uint(entryBytes))
}

// entryIn is the j-th entry of a group from groupBase (j at a control
// byte of the group that is not a pad, so within the table).
func entryIn(base unsafe.Pointer, j int) *entry {
	return (*entry)(unsafe.Add(base, uintptr(j)*entryBytes))
}

// ctrlLen is the number of control bytes: the capacity, or one group for
// a small table (its pads), or 0 before the first resize.
func (t *slotTable) ctrlLen() int {
	n := int(t.cap)
	if n > 0 && n < groupSize {
		return groupSize
	}
	return n
}

// liveAt is the entry at position i (< ctrlLen) if it is live, else nil
// (an empty position, a tombstone or a small table's pad): the walks over
// a table's positions.
func (t *slotTable) liveAt(i int) *entry {
	if t.ctrlAt(i)&0x80 != 0 {
		return nil
	}
	return t.at(i)
}

// ctrlAt is position i's control byte (i < ctrlLen).
func (t *slotTable) ctrlAt(i int) uint8 {
	return *(*uint8)(unsafe.Add(t.groupCtrl(uint(i)/groupSize), uint(i)%groupSize))
}

// setCtrl sets position i's control byte.
func (t *slotTable) setCtrl(i int, b uint8) {
	*(*uint8)(unsafe.Add(t.groupCtrl(uint(i)/groupSize), uint(i)%groupSize)) = b
}

// groups is the number of control groups.
func (t *slotTable) groups() int { return (int(t.cap) + groupSize - 1) / groupSize }

// arrayBytes is what the table's arrays take: the control chunks and the
// entries.
func (t *slotTable) arrayBytes() int64 {
	if t.cap == 0 {
		return 0
	}
	return ctrlBytes(int(t.cap)) + int64(t.cap)*int64(entryBytes)
}

// ctrlBytes is what the control bytes of a table of capacity c take.
func ctrlBytes(c int) int64 {
	if c <= groupSize {
		return int64(unsafe.Sizeof(smallCtrl{}))
	}
	return int64((c+chunkSize-1)/chunkSize) * int64(ctrlChunkBytes)
}

// headerBytes is what a slotTable itself takes: its allocation's size
// class.
var headerBytes = int64(roundAlloc(int(unsafe.Sizeof(slotTable{}))))

// group loads control group g (< groups()); no bounds check on the hot path.
func (t *slotTable) group(g int) uint64 {
	return binary.LittleEndian.Uint64((*[groupSize]byte)(t.groupCtrl(uint(g)))[:])
}

func (t *slotTable) startGroup(h uint64) int {
	return int((uint64(uint32(h)) * uint64(t.groups())) >> 32)
}

// matchTag has the high bit set in (at least) every byte of w equal to tag;
// it may also flag a live byte just above a true match, never an empty or
// deleted one, so a match is confirmed by comparing keys.
func matchTag(w uint64, tag uint8) uint64 {
	x := w ^ (lsb * uint64(tag))
	return (x - lsb) &^ x & msb
}

func matchEmpty(w uint64) uint64       { return w &^ (w << 6) & msb }
func matchEmptyOrDead(w uint64) uint64 { return w &^ (w << 7) & msb }

func (e *entry) boxed() bool { return e.vlen&flagBoxed != 0 }

// klen is the key length of an unboxed record or an objBox16/32.
func (e *entry) klen() int { return int(e.kl >> keyShift) }

// clock is the entry's 24-bit access clock.
func (e *entry) clock() uint32 { return e.kl & clockMask }

// setClock stores the access clock c (< 1<<24).
func (e *entry) setClock(c uint32) { e.kl = e.kl&^clockMask | c }
func (e *entry) volatile() bool    { return e.vlen&flagVolatile != 0 }

func (e *entry) key() string {
	if e.boxed() {
		return e.boxKey()
	}
	return unsafe.String((*byte)(e.p), e.klen())
}

func (e *entry) boxKind() uint32 { return e.vlen & lenMask }

func (e *entry) boxKey() string {
	n := e.klen()
	switch e.boxKind() {
	case boxObj16:
		return unsafe.String(&(*objBox16)(e.p).key[0], n)
	case boxObj32:
		return unsafe.String(&(*objBox32)(e.p).key[0], n)
	case boxObjKey:
		return (*objBoxKey)(e.p).key
	case boxObjTTL:
		return (*objBoxTTL)(e.p).key
	}
	return (*strBox)(e.p).key
}

// obj is a boxed entry's collection, or nil for a boxed string.
func (e *entry) obj() types.Object {
	switch e.boxKind() {
	case boxObj16:
		return (*objBox16)(e.p).obj
	case boxObj32:
		return (*objBox32)(e.p).obj
	case boxObjKey:
		return (*objBoxKey)(e.p).obj
	case boxObjTTL:
		return (*objBoxTTL)(e.p).obj
	}
	return nil
}

// setObj replaces a boxed collection in place.
func (e *entry) setObj(o types.Object) {
	switch e.boxKind() {
	case boxObj16:
		(*objBox16)(e.p).obj = o
	case boxObj32:
		(*objBox32)(e.p).obj = o
	case boxObjKey:
		(*objBoxKey)(e.p).obj = o
	case boxObjTTL:
		(*objBoxTTL)(e.p).obj = o
	}
}

func (e *entry) value() Value {
	if e.boxed() {
		if e.boxKind() == boxStr {
			return Value{Str: (*strBox)(e.p).str}
		}
		return Value{Obj: e.obj()}
	}
	n := int(e.vlen & lenMask)
	if n == 0 {
		return Value{} // p+klen may be the end of the allocation
	}
	return Value{Str: unsafe.String((*byte)(unsafe.Add(e.p, e.klen())), n)}
}

// ttlBytes is the TTL trailer of an unboxed record.
func (e *entry) ttlBytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen()+int(e.vlen&lenMask))), 8)
}

// exp is the absolute expiry in ms of a volatile entry.
func (e *entry) exp() int64 {
	if e.boxed() {
		if e.boxKind() == boxStr {
			return (*strBox)(e.p).exp
		}
		return (*objBoxTTL)(e.p).exp
	}
	return int64(binary.LittleEndian.Uint64(e.ttlBytes()))
}

// setExp sets the TTL of a volatile entry (a trailer or a box with a TTL) in place.
func (e *entry) setExp(when int64) {
	if e.boxed() {
		if e.boxKind() == boxStr {
			(*strBox)(e.p).exp = when
		} else {
			(*objBoxTTL)(e.p).exp = when
		}
		return
	}
	// The trailer is private to the keyspace: no handed-out string covers it.
	binary.LittleEndian.PutUint64(e.ttlBytes(), uint64(when))
}

// newString allocates the record of a string entry for key with an n-byte
// value (and a TTL trailer holding exp if volatile) and returns the entry
// and the zeroed value bytes to fill before anyone else sees the entry.
func newString(key string, n int, volatile bool, exp int64) (entry, []byte) {
	var vf uint32
	if volatile {
		vf = flagVolatile
	}
	if len(key) >= inlineMax || len(key) >= keyInlineMax || n >= inlineMax {
		val := make([]byte, n)
		b := &strBox{key: string([]byte(key)), str: unsafe.String(unsafe.SliceData(val), n), exp: exp}
		return entry{p: unsafe.Pointer(b), vlen: flagBoxed | boxStr | vf}, val
	}
	size := len(key) + n
	if volatile {
		size += 8
	}
	if size == 0 {
		return entry{}, nil
	}
	buf := make([]byte, size)
	copy(buf, key)
	e := entry{p: unsafe.Pointer(unsafe.SliceData(buf)), kl: uint32(len(key)) << keyShift, vlen: uint32(n) | vf}
	if volatile {
		binary.LittleEndian.PutUint64(buf[len(key)+n:], uint64(exp))
	}
	return e, buf[len(key) : len(key)+n]
}

// reuseString rewrites e, an unboxed string record whose value was
// deleted (nothing references its bytes any more), to hold an n-byte value
// (and a TTL trailer holding exp if volatile) in the same allocation, and
// returns the value bytes to fill; it reports false, changing nothing,
// unless the new record fits the allocation (recordRoom) and rounds to the
// same size (entry.size stays the same).
func (e *entry) reuseString(n int, volatile bool, exp int64) ([]byte, bool) {
	if e.boxed() || e.p == nil || n >= inlineMax {
		return nil, false
	}
	kn := e.klen()
	oldN, newN := kn+int(e.vlen&lenMask), kn+n
	if e.volatile() {
		oldN += 8
	}
	if volatile {
		newN += 8
	}
	if newN == 0 || newN > recordRoom(oldN) || roundAlloc(newN) != roundAlloc(oldN) {
		return nil, false
	}
	e.vlen = uint32(n)
	if volatile {
		e.vlen |= flagVolatile
		binary.LittleEndian.PutUint64(e.ttlBytes(), uint64(exp))
	}
	if n == 0 {
		// Nothing to fill; a pointer past the key may point past the
		// allocation, which Go does not allow (checkptr).
		return []byte{}, true
	}
	return unsafe.Slice((*byte)(unsafe.Add(e.p, kn)), n), true
}

// recordRoom is how many bytes a record of n bytes may grow to in place:
// the size class Go's allocator gave it. A record is made by newString as
// make([]byte, size) with size ≥ n (a reused record only shrinks or grows
// within its class), so its allocation holds at least mallocClass(n)
// bytes. Below 16 bytes the allocation may share a 16-byte block with
// other tiny objects (Go's tiny allocator): no room beyond n.
func recordRoom(n int) int {
	if !growInPlace || n < 16 || n > classMax {
		return n
	}
	return int(mallocClass[(n+7)>>3])
}

// classMax is the largest record size recordRoom knows the class of.
const classMax = 4096

// mallocClass[(n+7)>>3] is the size class of an n-byte noscan allocation,
// for 16 ≤ n ≤ classMax (every class up to 32 KB is a multiple of 8). It is
// read at start-up from append, whose capacity rounds to the allocator's
// classes, rather than copied from the runtime's table.
var mallocClass = func() (t [classMax>>3 + 1]uint16) {
	for n := 8; n <= classMax; {
		c := cap(append([]byte(nil), make([]byte, n)...))
		for ; n <= c && n <= classMax; n += 8 {
			t[n>>3] = uint16(c)
		}
	}
	return t
}()

// newObject boxes collection o under key (copied).
func newObject(key string, o types.Object, volatile bool, exp int64) entry {
	if volatile {
		b := &objBoxTTL{obj: o, key: string([]byte(key)), exp: exp}
		return entry{p: unsafe.Pointer(b), vlen: flagBoxed | boxObjTTL | flagVolatile}
	}
	if len(key) >= inlineMax {
		b := &objBoxKey{obj: o, key: string([]byte(key))}
		return entry{p: unsafe.Pointer(b), vlen: flagBoxed | boxObjKey}
	}
	kl := uint32(len(key)) << keyShift
	switch {
	case len(key) <= 16:
		b := &objBox16{obj: o}
		copy(b.key[:], key)
		return entry{p: unsafe.Pointer(b), kl: kl, vlen: flagBoxed | boxObj16}
	case len(key) <= 32:
		b := &objBox32{obj: o}
		copy(b.key[:], key)
		return entry{p: unsafe.Pointer(b), kl: kl, vlen: flagBoxed | boxObj32}
	}
	b := &objBoxKey{obj: o, key: string([]byte(key))}
	return entry{p: unsafe.Pointer(b), vlen: flagBoxed | boxObjKey}
}

// find returns the position of key k (hash h), or -1.
func (t *slotTable) find(h uint64, k string) int {
	if t.n == 0 {
		return -1
	}
	ng := t.groups()
	g := t.startGroup(h)
	tag := tagOf(h)
	for {
		base := t.groupBase(g) // before the control word: the two loads overlap
		w := t.group(g)
		for m := matchTag(w, tag); m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m) >> 3
			if e := entryIn(base, j); e.key() == k {
				return g*groupSize + j
			}
		}
		if matchEmpty(w) != 0 {
			return -1
		}
		if g++; g == ng {
			g = 0
		}
	}
}

// slotFor returns the position of k and true, or, if k is absent, the free
// position to insert it at and false, growing or cleaning the table first
// if taking a fresh empty position would pass the load limit.
func (t *slotTable) slotFor(h uint64, k string) (int, bool) {
	if t.cap == 0 {
		t.resize(minCapacity)
	}
	ng := t.groups()
	g := t.startGroup(h)
	tag := tagOf(h)
	free := -1
	for {
		base := t.groupBase(g) // before the control word: the two loads overlap
		w := t.group(g)
		for m := matchTag(w, tag); m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m) >> 3
			if e := entryIn(base, j); e.key() == k {
				i := g*groupSize + j
				return i, true
			}
		}
		if free < 0 {
			if m := matchEmptyOrDead(w); m != 0 {
				free = g*groupSize + bits.TrailingZeros64(m)>>3
			}
		}
		if matchEmpty(w) != 0 {
			break
		}
		if g++; g == ng {
			g = 0
		}
	}
	// free < 0: a small table is full (its pads ended the probe).
	if free < 0 || t.ctrlAt(free) == ctrlEmpty && int(t.n+t.dead) >= maxLoad(t.capacity()) {
		c := t.capacity()
		if int(t.n)+1 > maxLoad(c)/2 {
			c = max(growTo(c), capacityFor(int(t.n)+1))
		} // else: mostly tombstones; rehash in place
		t.resize(c)
		free = t.freeSlot(h)
	}
	return free, false
}

// freeSlot is the first empty or deleted position on h's probe sequence.
func (t *slotTable) freeSlot(h uint64) int {
	ng := t.groups()
	g := t.startGroup(h)
	for {
		if m := matchEmptyOrDead(t.group(g)); m != 0 {
			return g*groupSize + bits.TrailingZeros64(m)>>3
		}
		if g++; g == ng {
			g = 0
		}
	}
}

// insertAt fills free position i (from slotFor) with e for hash h.
func (t *slotTable) insertAt(i int, h uint64, e entry) {
	if t.ctrlAt(i) == ctrlDeleted {
		t.dead--
	}
	t.setCtrl(i, tagOf(h))
	*t.at(i) = e
	t.n++
	if e.volatile() {
		t.volatile++
	}
}

// eraseAt empties live position i. A position whose group still holds an
// empty byte can become empty itself (no probe passes that group); others
// become tombstones.
func (t *slotTable) eraseAt(i int) {
	if t.at(i).volatile() {
		t.volatile--
	}
	if matchEmpty(t.group(i/groupSize)) != 0 {
		t.setCtrl(i, ctrlEmpty)
	} else {
		t.setCtrl(i, ctrlDeleted)
		t.dead++
	}
	*t.at(i) = entry{}
	t.n--
}

// resize rehashes every live entry into a table of capacity c (a multiple
// of groupSize, or 1 to 7; rounded to whole chunks above a group),
// dropping tombstones. A chunked table keeps its chunks (those within the
// new capacity): the live entries and their control bytes go out to a
// scratch copy and come back to their new positions.
func (t *slotTable) resize(c int) {
	c = chunked(c)
	old := t.arrayBytes()
	sp := resizeScratch.Get().(*resizeCopy)
	live, tags := sp.ents[:0], sp.tags[:0]
	for i := range t.ctrlLen() {
		if cb := t.ctrlAt(i); cb&0x80 == 0 {
			live, tags = append(live, *t.at(i)), append(tags, cb)
		}
	}
	t.setArrays(c)
	t.grown += t.arrayBytes() - old
	t.dead = 0
	t.sweep = 0
	oneGroup := c <= groupSize
	if !oneGroup {
		// Each key is hashed again from its record, a likely cache miss
		// apiece on a large keyspace. Touching every record first, loads
		// that do not depend on each other, lets the CPU overlap those
		// misses (as Prefetcher does for a batch's keys); paid one after
		// another in the loop below they made a table's growth cost
		// ~220 ns per key (BenchmarkResize).
		var sum uint64
		for i := range live {
			sum += live[i].touch()
		}
		t.touched = uint32(sum)
	}
	for i := range live {
		e := &live[i]
		// The control byte is the key's tag; only the start group needs
		// the hash, and a table of one group has one.
		var h uint64
		if !oneGroup {
			h = hashKey(e.key())
		}
		j := t.freeSlot(h)
		t.setCtrl(j, tags[i])
		*t.at(j) = *e
	}
	clear(live) // the pool keeps no records alive
	sp.ents, sp.tags = live[:0], tags[:0]
	resizeScratch.Put(sp)
}

// resizeCopy is resize's scratch: the live entries and their tags.
type resizeCopy struct {
	ents []entry
	tags []uint8
}

var resizeScratch = sync.Pool{New: func() any { return new(resizeCopy) }}

// setArrays gives the table empty arrays for capacity c: new control
// bytes (all empty, pads past c in a small table's group) and entries, a
// fresh array of exactly c up to a group, else the chunks it has within c
// (cleared) and new ones for the rest.
func (t *slotTable) setArrays(c int) {
	kept := 0 // chunks the table has
	if t.cap > groupSize {
		kept = int(t.cap) / chunkSize
	}
	if c <= groupSize {
		sc := &smallCtrl{ents: unsafe.Pointer(unsafe.SliceData(make([]entry, c)))}
		for i := range sc.g0 {
			sc.g0[i] = ctrlEmpty
			if i >= c {
				sc.g0[i] = ctrlPad
			}
		}
		t.ctl, t.cap = unsafe.Pointer(sc), int32(c)
		return
	}
	cs := make([]ctrlChunk, c/chunkSize)
	for k := range cs {
		for i := range groupSize {
			cs[k].g0[i], cs[k].g1[i] = ctrlEmpty, ctrlEmpty
		}
		if k < kept {
			cs[k].ents = t.chunkEnts(uint(k)) // t.ctl is still the old chunks
			clear((*entryChunk)(cs[k].ents)[:])
		} else {
			cs[k].ents = unsafe.Pointer(new(entryChunk))
		}
	}
	t.ctl, t.cap = unsafe.Pointer(&cs[0]), int32(c)
}

// shrinkIfSparse gives memory back after mass deletion: a table of more
// than one group less than 1/8 full is rebuilt at about half load (a small
// table if that holds it).
func (t *slotTable) shrinkIfSparse() {
	if c := t.capacity(); c > groupSize && int(t.n) <= c/8 {
		if nc := capacityFor(2 * int(t.n)); nc < c {
			t.resize(nc)
		}
	}
}
