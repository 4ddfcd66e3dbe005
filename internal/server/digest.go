package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

// DEBUG DIGEST and DIGEST-VALUE with Redis's algorithm (debug.c), so a
// Shoal node and a Redis node holding the same data print the same digest.

type digest [20]byte

// xor is xorDigest: digest ^= SHA1(p).
func (d *digest) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix is mixDigest: digest = SHA1(digest ^ SHA1(p)), order-sensitive.
func (d *digest) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

func (d *digest) mixString(s string) { d.mix([]byte(s)) }

// redisType is the OBJ_* code Redis mixes into a value's digest.
func redisType(k types.Kind) uint32 {
	switch k {
	case types.KindString:
		return 0
	case types.KindList:
		return 1
	case types.KindSet:
		return 2
	case types.KindZSet:
		return 3
	case types.KindHash:
		return 4
	}
	return 6 // stream
}

// fmtScore is C's "%.17g".
func fmtScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// xorObject is xorObjectDigest: the value (and whether it expires) mixed into d.
func xorObject(d *digest, v keyspace.Value, exp int64) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], redisType(v.Kind()))
	d.mix(aux[:])
	switch o := v.Obj.(type) {
	case nil:
		d.mixString(v.Str)
	case *types.List:
		if o.Len() > 0 {
			o.Range(0, o.Len()-1, func(e []byte) bool { d.mix(e); return true })
		}
	case *types.Set:
		o.Each(func(m []byte) bool { d.xor(m); return true })
	case *types.ZSet:
		o.Range(0, o.Len(), false, func(m []byte, score float64) bool {
			var ed digest
			ed.mix(m)
			ed.mixString(fmtScore(score))
			d.xor(ed[:])
			return true
		})
	case *types.Hash:
		o.Each(func(f, val []byte) bool {
			var ed digest
			ed.mix(f)
			ed.mix(val)
			d.xor(ed[:])
			return true
		})
	case *types.Stream:
		// Entries in order: "ms.seq", then each field and value.
		o.Range(types.StreamID{}, types.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}, false, func(e *types.StreamEntry) bool {
			d.mixString(strconv.FormatUint(e.ID.Ms, 10) + "." + strconv.FormatUint(e.ID.Seq, 10))
			for _, x := range e.FV {
				d.mixString(x)
			}
			return true
		})
	}
	if exp != -1 {
		d.xor([]byte("!!expire!!"))
	}
}

// datasetDigest is computeDatasetDigest. Needs LockAll.
func (s *Server) datasetDigest() string {
	var final digest
	for j := 0; j < s.ks.NumDBs(); j++ {
		db := s.ks.DB(j)
		if db.Len() == 0 {
			continue
		}
		var aux [4]byte
		binary.BigEndian.PutUint32(aux[:], uint32(j))
		final.mix(aux[:])
		for sl := 0; sl < slot.Count; sl++ {
			if db.CountInSlot(sl) == 0 {
				continue
			}
			db.ForEachStored(sl, func(key string, v keyspace.Value, exp int64) bool {
				var kd digest
				kd.mixString(key)
				xorObject(&kd, v, exp)
				final.xor(kd[:])
				return true
			})
		}
	}
	return hex.EncodeToString(final[:])
}

// valueDigest is DEBUG DIGEST-VALUE's digest of one key (all zeros when
// missing). Needs the key's stripe locked.
func valueDigest(db *keyspace.DB, key []byte) string {
	var d digest
	if v, exp, ok := db.PeekStored(key); ok {
		xorObject(&d, v, exp)
	}
	return hex.EncodeToString(d[:])
}
