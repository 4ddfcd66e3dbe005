package rdb

import (
	"encoding/hex"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// legacyStream is a DUMP of a Redis 5 stream (RDB_TYPE_STREAM_LISTPACKS,
// RDB version 9), from Redis's own test "Loading from legacy (Redis <=
// v6.2.x, rdb_ver < 10) persistence": XADD x 1-0..6-0 data a..f, XDEL x
// 3-0, XGROUP CREATE x g1 0, XGROUP CREATE x g2 0, XREADGROUP GROUP g1 c11
// COUNT 4 STREAMS x >, XTRIM x MAXLEN = 2.
const legacyStream = "0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103010020010381610204200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a00ff02060002026731050004000000000000000100000000000000003ef783437a01000001000000000000000200000000000000003ef783437a01000001000000000000000400000000000000003ef783437a01000001000000000000000500000000000000003ef783437a0100000101036331313ef783437a01000004000000000000000100000000000000000000000000000002000000000000000000000000000000040000000000000000000000000000000500000000000000000267320000000009003d52ef6867521dfa"

func TestStreamLegacyType15(t *testing.T) {
	p, err := hex.DecodeString(legacyStream)
	if err != nil {
		t.Fatal(err)
	}
	if p[0] != TypeStreamListpacks {
		t.Fatalf("type %d", p[0])
	}
	check := func(v interface{ Kind() types.Kind }, what string) {
		s := v.(*types.Stream)
		if s.Len() != 2 || s.EntriesAdded != 2 || s.MaxDeleted != (types.StreamID{}) {
			t.Fatalf("%s: len %d entries-added %d max-deleted %v", what, s.Len(), s.EntriesAdded, s.MaxDeleted)
		}
		if e, _ := s.First(); e.ID != (types.StreamID{Ms: 5}) || e.FV[1] != "e" {
			t.Fatalf("%s: first entry %v", what, e)
		}
		g1, g2 := s.Group("g1"), s.Group("g2")
		if g1 == nil || g2 == nil || s.GroupCount() != 2 {
			t.Fatalf("%s: groups", what)
		}
		if lag, ok := s.Lag(g1); g1.EntriesRead != 1 || !ok || lag != 1 {
			t.Fatalf("%s: g1 entries-read %d lag %d", what, g1.EntriesRead, lag)
		}
		if lag, ok := s.Lag(g2); g2.EntriesRead != 0 || !ok || lag != 2 {
			t.Fatalf("%s: g2 entries-read %d lag %d", what, g2.EntriesRead, lag)
		}
		c := g1.Consumer("c11")
		if c == nil || c.PendingCount() != 4 || g1.PEL.Len() != 4 || g1.Pending(types.StreamID{Ms: 4}).Consumer != c {
			t.Fatalf("%s: consumer c11", what)
		}
	}
	v, err := ParseDump(p, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	check(v.Obj, "type 15")
	// Written back as RDB_TYPE_STREAM_LISTPACKS_2, it reads the same.
	out, err := AppendDump(nil, v, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != TypeStreamListpacks2 {
		t.Fatalf("written as type %d", out[0])
	}
	v2, err := ParseDump(out, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	check(v2.Obj, "type 19")
}

// TestStreamNodeOfTombstones: an exact XTRIM MINID can leave a node whose
// entries are all deleted (its last one was XDELed before), as in Redis;
// such a stream is written and read back whole (it once made the RDB
// unloadable: "holds no live entry").
func TestStreamNodeOfTombstones(t *testing.T) {
	s := types.NewStream()
	for i := uint64(1); i <= 4; i++ {
		s.Append(types.StreamID{Ms: i}, [][]byte{[]byte("f"), []byte("v")}, 2, 4096)
	}
	// Nodes of two entries: [1 2] [3 4]. Delete 2, then trim below 2:
	// entry 1 is marked deleted, and the first node holds no live entry.
	if !s.Delete(types.StreamID{Ms: 2}) {
		t.Fatal("XDEL 2 found nothing")
	}
	if n := s.Trim(types.TrimMinID, 0, types.StreamID{Ms: 2}, false, 0); n != 1 {
		t.Fatalf("trim removed %d", n)
	}
	if s.Len() != 2 || s.NodeCount() != 2 {
		t.Fatalf("len %d nodes %d, want 2 and 2", s.Len(), s.NodeCount())
	}
	out, err := AppendDump(nil, keyspace.Value{Obj: s}, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseDump(out, DefaultSettings())
	if err != nil {
		t.Fatalf("a stream with a node of tombstones does not load: %v", err)
	}
	back := v.Obj.(*types.Stream)
	if back.Len() != 2 || back.NodeCount() != 2 {
		t.Fatalf("loaded: len %d nodes %d", back.Len(), back.NodeCount())
	}
	if e, _ := back.First(); e.ID != (types.StreamID{Ms: 3}) {
		t.Fatalf("first live entry %v, want 3-0", e.ID)
	}
}
