package rdb

import (
	"encoding/binary"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

// Streams (rdb.c, OBJ_STREAM): RDB_TYPE_STREAM_LISTPACKS_2 is written;
// it and the older RDB_TYPE_STREAM_LISTPACKS are read.
//
//	node count, then per node: 16-byte master ID (big endian ms, seq) as a
//	string, the node's listpack as a string;
//	length, last ID (ms, seq), [type 19: first ID, max deleted ID,
//	entries added];
//	group count, then per group: name, last ID, [type 19: entries read],
//	PEL (count, then raw 16-byte ID, delivery time 8 bytes LE, delivery
//	count), consumers (count, then name, seen time 8 bytes LE, PEL count
//	and raw IDs).
//
// A node's listpack is Redis's: the master entry (live count, deleted
// count, field count, fields, 0), then per entry its flags, ms and seq
// deltas from the master ID, [field count and fields unless SAMEFIELDS],
// values, and the entry's element count.

// Stream entry flags (t_stream.c).
const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

func appendRawID(dst []byte, id types.StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

func appendLenID(dst []byte, id types.StreamID) []byte {
	return AppendLen(AppendLen(dst, id.Ms), id.Seq)
}

// appendStream writes s as RDB_TYPE_STREAM_LISTPACKS_2 (without the type byte).
func (e *Encoder) appendStream(dst []byte, s *types.Stream) []byte {
	dst = AppendLen(dst, uint64(s.NodeCount()))
	var key [16]byte
	s.EachNode(func(fields []string, ents []types.StreamEntry) bool {
		master := ents[0].ID
		dst = e.enc.appendString(dst, appendRawID(key[:0], master))
		e.lp.reset(e.lpb)
		live := 0
		for i := range ents {
			if !ents[i].Deleted() {
				live++
			}
		}
		e.lp.appendInt(int64(live))
		e.lp.appendInt(int64(len(ents) - live))
		e.lp.appendInt(int64(len(fields)))
		for _, f := range fields {
			e.lp.appendStr(sbytes(f))
		}
		e.lp.appendInt(0)
		for i := range ents {
			en := &ents[i]
			nf := len(en.FV) / 2
			same := nf == len(fields)
			for j := 0; same && j < nf; j++ {
				same = en.FV[2*j] == fields[j]
			}
			flags := int64(0)
			if same {
				flags |= streamFlagSameFields
			}
			if en.Deleted() {
				flags |= streamFlagDeleted
			}
			e.lp.appendInt(flags)
			e.lp.appendInt(int64(en.ID.Ms - master.Ms))
			e.lp.appendInt(int64(en.ID.Seq - master.Seq))
			if !same {
				e.lp.appendInt(int64(nf))
			}
			for j := 0; j < nf; j++ {
				if !same {
					e.lp.appendStr(sbytes(en.FV[2*j]))
				}
				e.lp.appendStr(sbytes(en.FV[2*j+1]))
			}
			cnt := int64(nf + 3)
			if !same {
				cnt += int64(nf + 1)
			}
			e.lp.appendInt(cnt)
		}
		e.lpb = e.lp.finish()
		dst = e.enc.appendString(dst, e.lpb)
		return true
	})
	dst = AppendLen(dst, uint64(s.Len()))
	dst = appendLenID(dst, s.LastID)
	dst = appendLenID(dst, s.FirstID())
	dst = appendLenID(dst, s.MaxDeleted)
	dst = AppendLen(dst, s.EntriesAdded)
	dst = AppendLen(dst, uint64(s.GroupCount()))
	s.EachGroup(func(name string, g *types.StreamGroup) bool {
		dst = e.enc.appendString(dst, sbytes(name))
		dst = appendLenID(dst, g.LastID)
		dst = AppendLen(dst, uint64(g.EntriesRead))
		dst = AppendLen(dst, uint64(g.PEL.Len()))
		g.PendingRange(nil, types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
			dst = appendRawID(dst, id)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(n.DeliveryTime))
			dst = AppendLen(dst, uint64(n.DeliveryCount))
			return true
		})
		dst = AppendLen(dst, uint64(g.Consumers.Len()))
		g.EachConsumer(func(c *types.StreamConsumer) bool {
			dst = e.enc.appendString(dst, sbytes(c.Name))
			dst = binary.LittleEndian.AppendUint64(dst, uint64(c.SeenTime))
			dst = AppendLen(dst, uint64(c.PendingCount()))
			g.PendingRange(c, types.StreamID{}, func(id types.StreamID, _ *types.StreamNACK) bool {
				dst = appendRawID(dst, id)
				return true
			})
			return true
		})
		return true
	})
	return dst
}

// readPlainLen reads a length that must not be a string encoding.
func (d *decoder) readPlainLen() (uint64, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if enc {
		return 0, errBadData
	}
	return n, nil
}

func (d *decoder) readLenID() (types.StreamID, error) {
	ms, err := d.readPlainLen()
	if err != nil {
		return types.StreamID{}, err
	}
	seq, err := d.readPlainLen()
	return types.StreamID{Ms: ms, Seq: seq}, err
}

func (d *decoder) readRawID() (types.StreamID, error) {
	b, err := d.readN(16)
	if err != nil {
		return types.StreamID{}, err
	}
	return types.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

func (d *decoder) readMs() (int64, error) {
	b, err := d.readN(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// lpInt reads the next listpack element as an integer.
func lpInt(it *lpIter) (int64, error) {
	s, v, isInt, done, err := it.next()
	if err != nil {
		return 0, err
	}
	if done {
		return 0, errBadData
	}
	if !isInt {
		// Redis stores these as integers; a string that parses is accepted
		// as lpGetInteger would.
		n, ok := rnum.ParseInt(s)
		if !ok {
			return 0, errBadData
		}
		return n, nil
	}
	return v, nil
}

func lpStr(it *lpIter) (string, error) {
	s, _, _, done, err := it.next()
	if err != nil {
		return "", err
	}
	if done {
		return "", errBadData
	}
	return string(s), nil
}

// readStreamNode decodes one node's listpack (streamValidateListpackIntegrity
// with deep checks) into the stream.
func readStreamNode(s *types.Stream, master types.StreamID, lp []byte) error {
	it, _, err := newLPIter(lp)
	if err != nil {
		return err
	}
	live, err := lpInt(it)
	if err != nil {
		return err
	}
	deleted, err := lpInt(it)
	if err != nil {
		return err
	}
	nMaster, err := lpInt(it)
	if err != nil {
		return err
	}
	if live < 0 || deleted < 0 || nMaster < 0 || nMaster > int64(len(lp)) {
		return errBadData
	}
	fields := make([]string, nMaster)
	for i := range fields {
		if fields[i], err = lpStr(it); err != nil {
			return err
		}
	}
	if z, err := lpInt(it); err != nil || z != 0 {
		return errBadData
	}
	var ents []types.StreamEntry
	gotLive := int64(0)
	for {
		if it.off < len(lp) && lp[it.off] == lpEOF {
			break
		}
		flags, err := lpInt(it)
		if err != nil {
			return err
		}
		dms, err := lpInt(it)
		if err != nil {
			return err
		}
		dseq, err := lpInt(it)
		if err != nil {
			return err
		}
		id := types.StreamID{Ms: master.Ms + uint64(dms), Seq: master.Seq + uint64(dseq)}
		nf := nMaster
		same := flags&streamFlagSameFields != 0
		if !same {
			if nf, err = lpInt(it); err != nil {
				return err
			}
			if nf < 0 || nf > int64(len(lp)) {
				return errBadData
			}
		}
		fv := make([]string, 2*nf)
		for j := int64(0); j < nf; j++ {
			if same {
				fv[2*j] = fields[j]
			} else if fv[2*j], err = lpStr(it); err != nil {
				return err
			}
			if fv[2*j+1], err = lpStr(it); err != nil {
				return err
			}
		}
		cnt, err := lpInt(it)
		if err != nil {
			return err
		}
		want := nf + 3
		if !same {
			want += nf + 1
		}
		if cnt != want {
			return errBadData
		}
		del := flags&streamFlagDeleted != 0
		if !del {
			gotLive++
		}
		ents = append(ents, types.NewStreamEntry(id, fv, del))
	}
	if len(ents) == 0 || ents[0].ID != master || gotLive != live || int64(len(ents))-gotLive != deleted {
		return errBadData
	}
	if !s.AppendNode(fields, ents) {
		return errBadData
	}
	return nil
}

// readStream decodes RDB_TYPE_STREAM_LISTPACKS (v2 false) or _2.
func (d *decoder) readStream(v2 bool) (keyspace.Value, error) {
	s := types.NewStream()
	nodes, err := d.readCount(2)
	if err != nil {
		return keyspace.Value{}, err
	}
	for i := 0; i < nodes; i++ {
		key, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		if len(key) != 16 {
			return keyspace.Value{}, corrupt("Stream node key entry is not the size of a stream ID", errBadData)
		}
		master := types.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		lp, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		if err := readStreamNode(s, master, lp); err != nil {
			return keyspace.Value{}, corrupt("Stream listpack integrity check failed.", err)
		}
	}
	length, err := d.readPlainLen()
	if err != nil {
		return keyspace.Value{}, err
	}
	if length != uint64(s.Len()) {
		return keyspace.Value{}, corrupt("Stream length inconsistent with rax entries", errBadData)
	}
	if s.LastID, err = d.readLenID(); err != nil {
		return keyspace.Value{}, err
	}
	if last, ok := s.Last(); ok && s.LastID.Less(last.ID) {
		return keyspace.Value{}, errBadData
	}
	if v2 {
		if _, err = d.readLenID(); err != nil { // first ID: derived from the entries
			return keyspace.Value{}, err
		}
		if s.MaxDeleted, err = d.readLenID(); err != nil {
			return keyspace.Value{}, err
		}
		if s.EntriesAdded, err = d.readPlainLen(); err != nil {
			return keyspace.Value{}, err
		}
	} else {
		s.EntriesAdded = uint64(s.Len())
	}
	groups, err := d.readCount(1)
	if err != nil {
		return keyspace.Value{}, err
	}
	for i := 0; i < groups; i++ {
		name, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		gname := string(name)
		last, err := d.readLenID()
		if err != nil {
			return keyspace.Value{}, err
		}
		var read int64
		if v2 {
			r, err := d.readPlainLen()
			if err != nil {
				return keyspace.Value{}, err
			}
			read = int64(r)
		} else {
			read = s.EstimateDistance(last)
		}
		g := s.CreateGroup(gname, last, read)
		if g == nil {
			return keyspace.Value{}, &CorruptError{Reason: "Duplicated consumer group name " + gname}
		}
		pel, err := d.readCount(17)
		if err != nil {
			return keyspace.Value{}, err
		}
		for j := 0; j < pel; j++ {
			id, err := d.readRawID()
			if err != nil {
				return keyspace.Value{}, err
			}
			t, err := d.readMs()
			if err != nil {
				return keyspace.Value{}, err
			}
			cnt, err := d.readPlainLen()
			if err != nil {
				return keyspace.Value{}, err
			}
			if g.Pending(id) != nil {
				return keyspace.Value{}, corrupt("Duplicated global PEL entry loading stream consumer group", errBadData)
			}
			g.PEL.Set(id, &types.StreamNACK{DeliveryTime: t, DeliveryCount: int64(cnt)})
		}
		consumers, err := d.readCount(10)
		if err != nil {
			return keyspace.Value{}, err
		}
		for j := 0; j < consumers; j++ {
			cname, err := d.readString()
			if err != nil {
				return keyspace.Value{}, err
			}
			c := g.CreateConsumer(string(cname), 0)
			if c == nil {
				return keyspace.Value{}, corrupt("Duplicate stream consumer detected.", errBadData)
			}
			if c.SeenTime, err = d.readMs(); err != nil {
				return keyspace.Value{}, err
			}
			n, err := d.readCount(16)
			if err != nil {
				return keyspace.Value{}, err
			}
			for k := 0; k < n; k++ {
				id, err := d.readRawID()
				if err != nil {
					return keyspace.Value{}, err
				}
				nack := g.Pending(id)
				if nack == nil {
					return keyspace.Value{}, corrupt("Consumer entry not found in group global PEL", errBadData)
				}
				if nack.Consumer != nil {
					return keyspace.Value{}, corrupt("Duplicated consumer PEL entry  loading a stream consumer group", errBadData)
				}
				g.Claim(id, nack, c)
			}
		}
		// Every pending entry must have found its consumer (Redis checks
		// this under deep sanitization; an owner-less entry would crash
		// XPENDING later).
		bad := false
		g.PendingRange(nil, types.StreamID{}, func(_ types.StreamID, n *types.StreamNACK) bool {
			bad = n.Consumer == nil
			return !bad
		})
		if bad {
			return keyspace.Value{}, corrupt("Stream CG PEL entry without consumer", errBadData)
		}
	}
	return keyspace.Value{Obj: s}, nil
}
