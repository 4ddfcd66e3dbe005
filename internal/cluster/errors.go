package cluster

import (
	"errors"
	"strconv"
)

// Kind classifies an Error, for errors.Is against the sentinels below.
type Kind uint8

// Error kinds.
const (
	KindInvalid        Kind = iota + 1 // a malformed argument (address, epoch)
	KindUnknownNode                    // no node with that ID
	KindSlotBusy                       // ADDSLOTS of an assigned slot
	KindSlotUnassigned                 // DELSLOTS of an unassigned slot
	KindSlotTwice                      // a slot named twice in one request
	KindOwnership                      // SETSLOT against the slot's ownership
	KindRole                           // the operation needs another role (master/replica)
	KindNotEmpty                       // the node (or slot) holds keys
	KindEpoch                          // SET-CONFIG-EPOCH refused
	KindMyself                         // the operation cannot target myself
)

// Error is an admin operation's refusal. Msg is Redis 7.0's whole error
// reply (without '-' and CRLF), e.g. "ERR Slot 5 is already busy".
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is matches the sentinel of the same Kind.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Msg == "" && t.Kind == e.Kind
}

// Sentinels, for errors.Is(err, cluster.ErrUnknownNode) and so on.
var (
	ErrInvalid        = &Error{Kind: KindInvalid}
	ErrUnknownNode    = &Error{Kind: KindUnknownNode}
	ErrSlotBusy       = &Error{Kind: KindSlotBusy}
	ErrSlotUnassigned = &Error{Kind: KindSlotUnassigned}
	ErrSlotTwice      = &Error{Kind: KindSlotTwice}
	ErrOwnership      = &Error{Kind: KindOwnership}
	ErrRole           = &Error{Kind: KindRole}
	ErrNotEmpty       = &Error{Kind: KindNotEmpty}
	ErrEpoch          = &Error{Kind: KindEpoch}
	ErrMyself         = &Error{Kind: KindMyself}
)

func errf(k Kind, parts ...string) *Error {
	n := 4
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, "ERR "...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return &Error{Kind: k, Msg: string(b)}
}

func itoa(n int) string { return strconv.Itoa(n) }

func errUnknownNode(id string) *Error { return errf(KindUnknownNode, "Unknown node ", id) }
func errSlotBusy(s int) *Error        { return errf(KindSlotBusy, "Slot ", itoa(s), " is already busy") }
func errSlotUnassigned(s int) *Error {
	return errf(KindSlotUnassigned, "Slot ", itoa(s), " is already unassigned")
}
func errSlotTwice(s int) *Error {
	return errf(KindSlotTwice, "Slot ", itoa(s), " specified multiple times")
}
func errNotOwner(s int) *Error {
	return errf(KindOwnership, "I'm not the owner of hash slot ", itoa(s))
}
func errAlreadyOwner(s int) *Error {
	return errf(KindOwnership, "I'm already the owner of hash slot ", itoa(s))
}
func errDontKnow(id string) *Error { return errf(KindUnknownNode, "I don't know about node ", id) }
func errTargetNotMaster() *Error   { return errf(KindRole, "Target node is not a master") }
func errSetSlotReplica() *Error    { return errf(KindRole, "Please use SETSLOT only with masters.") }
func errAssignWithKeys(s int) *Error {
	return errf(KindNotEmpty, "Can't assign hashslot ", itoa(s), " to a different node while I still hold keys for this hash slot.")
}
