package server

import (
	"errors"

	"github.com/shoal-db/shoal/internal/keyspace"
)

// dumpValue appends v's DUMP payload to dst. TEMPORARY: wired to the RDB
// codec (internal/persist/rdb) when it lands; until then MIGRATE refuses.
func dumpValue(dst []byte, v keyspace.Value) ([]byte, error) {
	return dst, errors.New("ERR DUMP payload codec not available yet")
}
