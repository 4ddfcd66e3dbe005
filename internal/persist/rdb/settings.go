package rdb

import "github.com/shoal-db/shoal/internal/types"

// Settings are the configuration a value's encoding depends on: the
// thresholds that choose a decoded value's encoding (as rdbLoadObject
// converts), how a list is cut into quicklist nodes, and whether strings
// are LZF-compressed (rdbcompression).
type Settings struct {
	types.Limits
	// ListMaxListpackSize is list-max-listpack-size (the quicklist fill:
	// negative = a node size class, positive = elements per node).
	ListMaxListpackSize int
	// Compress is rdbcompression.
	Compress bool
	// PackedThreshold is the element size from which a list element gets
	// a plain quicklist node of its own (DEBUG QUICKLIST-PACKED-THRESHOLD);
	// 0 is Redis's default, 1 GB.
	PackedThreshold int
}

// packedThreshold is PackedThreshold with its default.
func (s *Settings) packedThreshold() int {
	if s.PackedThreshold <= 0 {
		return qlPackedThreshold
	}
	return s.PackedThreshold
}

// DefaultSettings are Redis 7.0's defaults.
func DefaultSettings() Settings {
	return Settings{Limits: *types.DefaultLimits(), ListMaxListpackSize: -2, Compress: true}
}
