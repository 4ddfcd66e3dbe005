package rdb

import (
	"errors"
	"fmt"
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

// ReplyText is the error reply RESTORE sends for a ParseDump error (the
// texts of rediserr.DumpVersionOrCRC and rediserr.BadDataFormat).
func ReplyText(err error) string {
	if errors.Is(err, ErrVersionOrChecksum) {
		return "ERR DUMP payload version or checksum are wrong"
	}
	return "ERR Bad data format"
}
