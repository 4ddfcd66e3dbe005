package replication

import (
	"crypto/rand"
	"encoding/hex"
)

// IDLen is the length of a replication ID (CONFIG_RUN_ID_SIZE).
const IDLen = 40

// NoID is the second ID of a node that never changed history.
const NoID = "0000000000000000000000000000000000000000"

// NewID returns a new random replication ID: 40 hex digits.
func NewID() string {
	var b [IDLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// History is what a node knows of its replication history: its ID, and
// the ID it had before its last promotion, valid for PSYNC offsets up to
// Offset2 (second_repl_offset; -1 when there is none).
//
// Offsets: a stream offset counts bytes (Redis's master_repl_offset); a
// PSYNC offset names the next byte wanted, counting from 1 (a replica
// sends its processed offset + 1).
type History struct {
	ID      string
	ID2     string
	Offset2 int64
}

// CanContinue is the master's PSYNC decision (masterTryPartialResynchronization):
// a replica asking for PSYNC offset p of history id can continue from
// here when id is this node's ID, or its previous ID up to where they
// diverged, and the stream bytes from p-1 on are still retained
// (start ≤ p-1 ≤ end, stream offsets).
func (h History) CanContinue(id string, p, start, end int64) bool {
	if id != h.ID && (id != h.ID2 || p > h.Offset2) {
		return false
	}
	return p-1 >= start && p-1 <= end
}

// Shift is a promotion at stream offset off: the old ID becomes the
// second one, valid up to PSYNC offset off+1 (Redis's
// shiftReplicationId), and a new ID starts.
func (h *History) Shift(off int64) {
	h.ID2 = h.ID
	h.Offset2 = off + 1
	h.ID = NewID()
}
