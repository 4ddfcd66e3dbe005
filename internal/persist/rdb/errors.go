package rdb

import (
	"errors"
	"fmt"

	"github.com/shoal-db/shoal/internal/rediserr"
)

// Errors. RESTORE maps ErrVersionOrChecksum to "ERR DUMP payload version or
// checksum are wrong" and every other decoding error to "ERR Bad data
// format", as Redis does; Message gives the text for a reply.
var (
	// ErrVersionOrChecksum: a DUMP payload shorter than its footer, from a
	// newer RDB version, or whose CRC64 does not match.
	ErrVersionOrChecksum = errors.New("rdb: DUMP payload version or checksum are wrong")
	// ErrBadData: malformed or truncated encoded data.
	ErrBadData = errors.New("rdb: bad data format")
	// ErrEmptyKey: a collection with no elements (Redis refuses it in a
	// payload and skips it in a file).
	ErrEmptyKey = errors.New("rdb: empty key")
	// ErrUnsupportedType: a module value, which Shoal does not
	// store; refused whole, never half-loaded.
	ErrUnsupportedType = errors.New("rdb: unsupported value type")
	// ErrBadMagic: a file that does not start with "REDIS".
	ErrBadMagic = errors.New("Wrong signature trying to load DB from file")
)

// errBadData is the internal alias used by the decoders.
var errBadData = ErrBadData

// CorruptError is malformed data with the reason Redis's loader reports
// for it (rdbReportCorruptRDB: "Ziplist integrity check failed.",
// "Duplicate stream consumer detected.", …). It is ErrBadData for
// errors.Is; RESTORE logs the reason at verbose level, a file load at
// warning level, as Redis does.
type CorruptError struct{ Reason string }

func (e *CorruptError) Error() string { return "rdb: " + e.Reason }

// Is makes a CorruptError match ErrBadData.
func (e *CorruptError) Is(target error) bool { return target == ErrBadData }

// corrupt gives err (when it is plain bad data) the reason Redis reports
// for it; nil, an error that already has a reason, an empty key and any
// other error (a short read) are returned as they are.
func corrupt(reason string, err error) error {
	if err == errBadData {
		return &CorruptError{Reason: reason}
	}
	return err
}

// CorruptReason returns the reason Redis would log for err ("" when err
// carries none: a short read, an empty key, a bad checksum).
func CorruptReason(err error) string {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

// KeyError is a file's key whose value failed to load: the key and its RDB
// type, for the report redis-check-rdb prints ("Reading key", "Reading
// type"). It unwraps to the value's error.
type KeyError struct {
	Key  []byte
	Type int
	Err  error
}

func (e *KeyError) Error() string { return e.Err.Error() }

// TypeName is redis-check-rdb's name for an RDB value type.
func TypeName(t int) string {
	names := [...]string{"string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable", "zset-v2",
		"module-value", "", "", "hash-zipmap", "list-ziplist", "set-intset", "zset-ziplist", "hash-ziplist",
		"quicklist", "stream", "hash-listpack", "zset-listpack", "quicklist-v2"}
	if t >= 0 && t < len(names) {
		return names[t]
	}
	return "unknown"
}
func (e *KeyError) Unwrap() error { return e.Err }

// VersionError is a file whose RDB version this codec cannot read (Redis:
// "Can't handle RDB format version %d").
type VersionError struct{ Version int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("Can't handle RDB format version %d", e.Version)
}

// ChecksumError is a file whose trailing CRC64 does not match its content.
type ChecksumError struct{ Expected, Got uint64 }

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("Wrong RDB checksum expected: (%x) got (%x).", e.Expected, e.Got)
}

// ReplyText is the error reply RESTORE sends for a ParseDump error.
func ReplyText(err error) string {
	if errors.Is(err, ErrVersionOrChecksum) {
		return rediserr.DumpVersionOrCRC
	}
	return rediserr.BadDataFormat
}
