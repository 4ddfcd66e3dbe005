package rdb

import "github.com/shoal-db/shoal/internal/types"

// Settings are the configuration a value's encoding depends on: the
// thresholds that choose a decoded value's encoding (as rdbLoadObject
// converts), how a list is cut into quicklist nodes, and whether strings
// are LZF-compressed (rdbcompression).
type Settings struct {
	HashMaxListpackEntries int64
	HashMaxListpackValue   int64
	SetMaxIntsetEntries    int64
	ZSetMaxListpackEntries int
	ZSetMaxListpackValue   int
	// ListMaxListpackSize is list-max-listpack-size (the quicklist fill:
	// negative = a node size class, positive = elements per node).
	ListMaxListpackSize int
	// Compress is rdbcompression.
	Compress bool
}

// DefaultSettings are Redis 7.0's defaults.
func DefaultSettings() Settings {
	return Settings{
		HashMaxListpackEntries: 512, HashMaxListpackValue: 64, SetMaxIntsetEntries: 512,
		ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64,
		ListMaxListpackSize: -2, Compress: true,
	}
}

// CurrentSettings returns the encoding thresholds in force (today the types
// package's variables, set by the server from its config) with the given
// list fill and compression. This is the one place that reads them.
func CurrentSettings(listMaxListpackSize int, compress bool) Settings {
	return Settings{
		HashMaxListpackEntries: types.HashMaxListpackEntries,
		HashMaxListpackValue:   types.HashMaxListpackValue,
		SetMaxIntsetEntries:    types.SetMaxIntsetEntries,
		ZSetMaxListpackEntries: types.ZSetMaxListpackEntries,
		ZSetMaxListpackValue:   types.ZSetMaxListpackValue,
		ListMaxListpackSize:    listMaxListpackSize,
		Compress:               compress,
	}
}
