package rdb

import "github.com/shoal-db/shoal/internal/types"

// Settings are the configuration a value's encoding depends on: the
// thresholds that choose a decoded value's encoding (as rdbLoadObject
// converts), how a list loaded from an old format is cut into quicklist
// nodes, and whether strings are LZF-compressed (rdbcompression). (A
// list's nodes are written and read as they are.)
type Settings struct {
	types.Limits
	// ListMaxListpackSize is list-max-listpack-size (the quicklist fill:
	// negative = a node size class, positive = elements per node); it
	// overrides Limits.ListMaxListpackSize.
	ListMaxListpackSize int
	// Compress is rdbcompression.
	Compress bool
	// PackedThreshold is the element size from which a list element gets
	// a plain quicklist node of its own (DEBUG QUICKLIST-PACKED-THRESHOLD);
	// 0 is Redis's default, 1 GB.
	PackedThreshold int
	// SkipChecksum (DEBUG SET-SKIP-CHECKSUM-VALIDATION 1) accepts a DUMP
	// payload or a file whose CRC64 does not match.
	SkipChecksum bool
}

// norm copies the list settings into Limits, where the list type reads them.
func (s Settings) norm() Settings {
	s.Limits.ListMaxListpackSize = int64(s.ListMaxListpackSize)
	if s.PackedThreshold != 0 {
		s.Limits.ListPackedThreshold = int64(s.PackedThreshold)
	}
	return s
}

// DefaultSettings are Redis 7.0's defaults.
func DefaultSettings() Settings {
	return Settings{Limits: *types.DefaultLimits(), ListMaxListpackSize: -2, Compress: true}
}
