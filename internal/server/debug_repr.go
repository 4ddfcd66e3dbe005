package server

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

// DEBUG LISTPACK, QUICKLIST and CLIENT-EVICTION: Redis's reports on
// Shoal's real structures (docs/operations.md).

// printStdout writes a DEBUG report to the server's stdout, where Redis
// prints it.
func printStdout(b []byte) { os.Stdout.Write(b) }

// debugReport runs DEBUG LISTPACK / QUICKLIST for key: report makes the
// text from the stored value under the key's slot lock (false: not that
// encoding); the text goes to stdout and the reply is Redis's.
func (s *Server) debugReport(ctx *command.Ctx, key []byte, report func(v keyspace.Value) ([]byte, bool), kind, done string) {
	sl := slot.Of(key)
	s.ks.LockSlot(sl)
	v, _, found := ctx.DB.PeekStored(key)
	var out []byte
	ok := false
	if found {
		out, ok = report(v)
	}
	s.ks.UnlockSlot(sl)
	switch {
	case !found:
		ctx.Error(rediserr.NoSuchKey)
	case !ok:
		ctx.Error(rediserr.NotEncodedAs(kind))
	default:
		printStdout(out)
		ctx.W.Simple(done)
	}
}

// addrOf is the address of b's first byte.
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// debugListpack is DEBUG LISTPACK key: lpRepr of the listpack Redis holds
// for a hash or sorted set in the listpack encoding, built from Shoal's
// compact form (the bytes RDB writes for it); addresses are those of the
// listpack built for the report.
func (s *Server) debugListpack(ctx *command.Ctx, key []byte) {
	s.debugReport(ctx, key, func(v keyspace.Value) ([]byte, bool) {
		lp, ok := rdb.NewEncoder(s.rdbSettings()).Listpack(v)
		if !ok {
			return nil, false
		}
		return rdb.AppendListpackRepr(nil, lp, addrOf(lp)), true
	}, "listpack", "Listpack structure printed on stdout")
}

// debugQuicklist is DEBUG QUICKLIST key [full]: quicklistRepr of a list,
// its nodes as Shoal holds them (the listpacks' real bytes and
// addresses). Shoal never compresses a node in memory, so compress is 0
// and every node RAW.
func (s *Server) debugQuicklist(ctx *command.Ctx, args [][]byte) {
	full := 0
	if len(args) == 4 {
		full, _ = strconv.Atoi(string(args[3])) // atoi, as Redis
	}
	s.cfg.RLock()
	fill := min(max(s.cfg.ListMaxListpackSize, -5), 1<<15-1) // quicklistSetFill
	s.cfg.RUnlock()
	s.debugReport(ctx, args[2], func(v keyspace.Value) ([]byte, bool) {
		l, isList := v.Obj.(*types.List)
		if !isList {
			return nil, false
		}
		out := fmt.Appendf(nil, "{count : %d}\n{len : %d}\n{fill : %d}\n{compress : %d}\n{bookmark_count : %d}\n",
			l.Len(), l.Nodes(), fill, 0, 0)
		i := 0
		l.EachNode(func(b []byte, plain bool, count int) {
			container := "PACKED"
			if plain {
				container = "PLAIN"
			}
			out = fmt.Appendf(out, "{quicklist node(%d)\n{container : %s, encoding: %s, size: %d, count: %d, recompress: %d, attempted_compress: %d}\n",
				i, container, "RAW", len(b), count, 0, 0)
			i++
			if full == 0 {
				return
			}
			if plain {
				out = append(out, "{ entry : "...)
				out = append(out, b...)
				out = append(out, " }\n"...)
			} else {
				out = append(out, "{ listpack:\n"...)
				out = rdb.AppendListpackRepr(out, b, addrOf(b))
				out = append(out, "}\n"...)
			}
			out = append(out, "}\n"...)
		})
		return out, true
	}, "quicklist", "Quicklist structure printed on stdout")
}

// Redis's client memory buckets (CLIENT_MEM_USAGE_BUCKET_MIN_LOG, _MAX_LOG).
const (
	clientMemBucketMinLog = 15
	clientMemBucketMaxLog = 33
	clientMemBuckets      = 1 + clientMemBucketMaxLog - clientMemBucketMinLog
)

// clientMemBucket is the bucket of a client using mem bytes
// (getMemUsageBucket).
func clientMemBucket(mem int64) int {
	bits := 0
	for m := uint64(mem); m > 0; m >>= 1 {
		bits++
	}
	return min(max(bits, clientMemBucketMinLog), clientMemBucketMaxLog) - clientMemBucketMinLog
}

// debugClientEviction is DEBUG CLIENT-EVICTION: Redis's table of client
// memory buckets. Shoal keeps no buckets (it sorts the clients when it
// evicts), so the table is made from each evictable client's last
// figure, the one the eviction sum holds.
func (s *Server) debugClientEviction(ctx *command.Ctx) {
	if s.conf().clientMemLimit == 0 {
		ctx.Error(rediserr.ClientEvictionOff)
		return
	}
	var sum, n [clientMemBuckets]int64
	s.clientsMu.Lock()
	for _, c := range s.clients {
		if m := c.adm.memAcct.Load(); m > 0 && c.evictable() {
			j := clientMemBucket(m)
			sum[j] += m
			n[j]++
		}
	}
	s.clientsMu.Unlock()
	var b []byte
	for j := 0; j < clientMemBuckets; j++ {
		if j == 0 {
			b = append(b, "bucket          0"...)
		} else {
			b = fmt.Appendf(b, "bucket %10d", uint64(1)<<(j-1+clientMemBucketMinLog))
		}
		if j == clientMemBuckets-1 {
			b = append(b, "+            : "...)
		} else {
			b = fmt.Appendf(b, " - %10d: ", uint64(1)<<(j+clientMemBucketMinLog)-1)
		}
		b = fmt.Appendf(b, "tot-mem: %10d, clients: %d\n", sum[j], n[j])
	}
	ctx.W.Verbatim(string(b))
}
