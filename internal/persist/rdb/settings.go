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
}

// DefaultSettings are Redis 7.0's defaults.
func DefaultSettings() Settings {
	return Settings{Limits: *types.DefaultLimits(), ListMaxListpackSize: -2, Compress: true}
}
