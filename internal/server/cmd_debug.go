package server

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/replication"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/stream"
	"github.com/shoal-db/shoal/internal/types"
)

// DEBUG: the subcommands tests and tools rely on, refused as Redis refuses
// it unless enable-debug-command allows the client (guard.go).

func (s *Server) registerDebug() {
	s.handle("debug", s.debugCommand)
	s.debugSpec = s.table.Lookup([]byte("debug"))
	// Off the event loop: DEBUG SLEEP (or a long DIGEST) must not stall the
	// other clients of its loop (issue #13).
	s.debugSpec.Flags |= command.FlagOffLoop
	s.registerMemory()
}

func (s *Server) debugCommand(ctx *command.Ctx) {
	args := ctx.Args
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		helpReply("DEBUG", debugHelp)(ctx)
	case sub == "sleep" && len(args) == 3:
		// Redis stops the whole server; Shoal stalls this connection only
		// (DEBUG runs off the event loop, and no stripe is held while a
		// handler without keys runs).
		secs, _ := strconv.ParseFloat(string(args[2]), 64)
		if secs > 0 {
			time.Sleep(time.Duration(secs * float64(time.Second)))
		}
		ctx.W.OK()
	case sub == "protocol" && len(args) == 3:
		debugProtocol(ctx, string(args[2]))
	case sub == "stringmatch-test" && len(args) == 2:
		debugStringmatchTest(ctx)
	case sub == "panic":
		s.debugPanic()
	case sub == "segfault":
		s.debugSegfault(ctx)
	case sub == "set-skip-checksum-validation" && len(args) == 3:
		n, _ := strconv.Atoi(string(args[2])) // atoi, as Redis
		s.skipChecksum.Store(n != 0)
		s.applySettings()
		ctx.W.OK()
	case sub == "pause-cron" && len(args) == 3:
		n, _ := strconv.Atoi(string(args[2])) // atoi, as Redis
		s.cronPaused.Store(n != 0)
		ctx.W.OK()
	case sub == "quicklist-packed-threshold" && len(args) == 3:
		sz, ok := config.MemToUint(string(args[2]))
		if !ok || sz > 1<<32-1<<20 {
			ctx.Error(rediserr.DebugMemoryValue)
			return
		}
		s.qlPacked.Store(int64(sz)) // 0: back to the default
		s.applySettings()           // list pushes read it from the Limits
		ctx.W.OK()
	case sub == "drop-cluster-packet-filter" && len(args) == 3:
		t, ok := rnum.ParseInt(args[2])
		if !ok {
			ctx.Error(rediserr.NotInteger)
			return
		}
		if n := s.cl.node; n != nil {
			n.SetDropFilter(t)
		}
		ctx.W.OK()
	case sub == "aof-flush-sleep" && len(args) == 3:
		us, _ := strconv.Atoi(string(args[2])) // atoi, as Redis
		s.aof.flushSleep.Store(int64(us))
		ctx.W.OK()
	case sub == "clusterlink" && len(args) == 5 && strings.EqualFold(string(args[2]), "kill"):
		n := s.cl.node
		if n == nil {
			ctx.Error(rediserr.DebugClusterOnly)
			return
		}
		rd, err := n.Do(func(core *cluster.Core) error { return core.KillLinks(string(args[3]), string(args[4])) })
		s.applyReady(rd, false)
		if err != nil {
			// (Redis also appends +OK after "Unknown direction": one
			// reply here, so the client stays in step.)
			ctx.Error(err.Error())
			return
		}
		ctx.W.OK()
	case sub == "set-disable-deny-scripts" && len(args) == 3:
		n, _ := strconv.Atoi(string(args[2]))
		s.scripts.AllowNoscript.Store(n != 0)
		ctx.W.OK()
	case sub == "set-active-expire" && len(args) == 3:
		n, _ := strconv.Atoi(string(args[2]))
		s.noActiveExpire.Store(n == 0)
		ctx.W.OK()
	case sub == "object" && len(args) == 3:
		s.debugObject(ctx, args[2])
	case sub == "populate" && len(args) >= 3 && len(args) <= 5:
		s.debugPopulate(ctx)
	case sub == "replicate" && len(args) >= 3:
		// The command goes to the replicas only, as it is, with no SELECT
		// (replicationFeedSlaves with dictid -1); the stream carries it.
		s.stream.AppendRaw(stream.SameDB, stream.AppendCommand(nil, args[2:]))
		ctx.W.OK()
	case sub == "change-repl-id" && len(args) == 2:
		s.repl.mu.Lock()
		s.repl.hist.ID = randomHex40()
		s.repl.hist.ID2, s.repl.hist.Offset2 = replication.NoID, -1
		s.repl.mu.Unlock()
		ctx.W.OK()
	case sub == "log" && len(args) == 3:
		s.Logf('#', "DEBUG LOG: %s", args[2])
		ctx.W.OK()
	case sub == "reload":
		s.debugReload(ctx)
	case sub == "error" && len(args) == 3:
		ctx.Error(string(args[2]))
	case sub == "digest" && len(args) == 2:
		s.ks.LockAll()
		d := s.datasetDigest()
		s.ks.UnlockAll()
		ctx.W.Simple(d)
	case sub == "digest-value" && len(args) >= 2:
		ctx.W.Array(len(args) - 2)
		for _, k := range args[2:] {
			sl := slot.Of(k)
			s.ks.LockSlot(sl)
			d := valueDigest(ctx.DB, k)
			s.ks.UnlockSlot(sl)
			ctx.W.Simple(d)
		}
	case sub == "config-rewrite-force-all" && len(args) == 2:
		if err := s.cfg.RewriteForceAll(); err != nil {
			ctx.Error(rediserr.ConfigRewriteForceAll(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "ERR "), "Rewriting config file: ")))
			return
		}
		ctx.W.OK()
	case sub == "listpack" && len(args) == 3:
		s.debugListpack(ctx, args[2])
	case sub == "quicklist" && (len(args) == 3 || len(args) == 4):
		s.debugQuicklist(ctx, args)
	case sub == "client-eviction" && len(args) == 2:
		s.debugClientEviction(ctx)
	case sub == "replybuffer" && len(args) == 4:
		s.debugReplyBuffer(ctx, args)
	case sub == "loadaof" && len(args) == 2:
		if err := s.debugLoadAOF(); err != nil {
			s.Logf('#', "%v", err)
			os.Exit(1) // as Redis does when the reload fails
		}
		ctx.W.OK()
	default:
		ctx.Error(rediserr.DebugUnknown(string(args[1])))
	}
}

// debugObject is DEBUG OBJECT key, in Redis's line format: the value's
// address, its encoding, its RDB length (rdbSavedObjectLen: what SAVE
// writes for it, compressed as rdbcompression says), the key's LRU/LFU
// clock and idle seconds, and for a list the quicklist it would be in
// Redis (the nodes its RDB form is cut into). The DEBUG spec has no key
// positions, so the key's stripe is locked here.
func (s *Server) debugObject(ctx *command.Ctx, key []byte) {
	sl := slot.Of(key)
	s.ks.LockSlot(sl)
	// The key as stored, logically expired or not (Redis finds it in the
	// dict directly: a replica shows a key its master has not deleted yet).
	v, _, ok := ctx.DB.PeekStored(key)
	var line string
	if ok {
		clk, _ := ctx.DB.AccessClock(key)
		line = s.debugObjectLine(v, int64(clk), s.ks.IdleMs(clk)/1000)
	}
	s.ks.UnlockSlot(sl)
	if !ok {
		ctx.Error(rediserr.NoSuchKey)
		return
	}
	ctx.W.Simple(line)
}

func (s *Server) debugObjectLine(v keyspace.Value, lru, idle int64) string {
	enc := rdb.NewEncoder(s.rdbSettings())
	b, _ := enc.AppendObject(nil, v)
	addr, encoding := unsafe.Pointer(unsafe.StringData(v.Str)), ""
	if v.Obj == nil {
		encoding = types.StringEncoding(v.Str)
	} else {
		addr, encoding = unsafe.Pointer(&v.Obj), v.Obj.Encoding()
	}
	line := fmt.Sprintf("Value at:%p refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		addr, encoding, len(b), lru, idle)
	if l, isList := v.Obj.(*types.List); isList {
		nodes := enc.QuicklistNodes(l)
		sz := 0
		for _, n := range nodes {
			sz += n.Size
		}
		avg := math.NaN() // 0/0, as Redis prints for an empty quicklist
		if len(nodes) > 0 {
			avg = float64(l.Len()) / float64(len(nodes))
		}
		s.cfg.RLock()
		fill, depth := s.cfg.ListMaxListpackSize, s.cfg.ListCompressDepth
		s.cfg.RUnlock()
		compressed := 0
		if depth != 0 {
			compressed = 1
		}
		line += fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
			len(nodes), avg, fill, compressed, sz)
	}
	return line
}

// stringSerializedLen is the RDB length of a string value without LZF
// compression (rdbSaveRawString): integer encodings for short integers,
// else a length prefix and the bytes.
func stringSerializedLen(s string) int {
	if len(s) <= 11 {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
			switch {
			case n >= -1<<7 && n < 1<<7:
				return 2
			case n >= -1<<15 && n < 1<<15:
				return 3
			case n >= -1<<31 && n < 1<<31:
				return 5
			}
		}
	}
	return rdb.LenSize(uint64(len(s))) + len(s)
}

var debugHelp = []string{
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"ASSERT",
	"    Crash by assertion failed.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"CONFIG-REWRITE-FORCE-ALL",
	"    Like CONFIG REWRITE but writes all configuration options, including",
	"    keywords not listed in original configuration file or default values.",
	"CRASH-AND-RECOVER [<milliseconds>]",
	"    Hard crash and restart after a <milliseconds> delay (default 0).",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"HTSTATS <dbid>",
	"    Return hash table statistics of the specified Redis database.",
	"HTSTATS-KEY <key>",
	"    Like HTSTATS but for the hash table stored at <key>'s value.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"REPLICATE <string>",
	"    Replicates the provided string to replicas, allowing data divergence.",
	"MALLCTL <key> [<val>]",
	"    Get or set a malloc tuning integer.",
	"MALLCTL-STR <key> [<val>]",
	"    Get or set a malloc tuning string.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"DROP-CLUSTER-PACKET-FILTER <packet-type>",
	"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
	"OOM",
	"    Crash the server simulating an out-of-memory error.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"RESTART [<milliseconds>]",
	"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
	"SDSLEN <key>",
	"    Show low level SDS string info representing `key` and value.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"STRUCTSIZE",
	"    Return the size of different Redis core C structures.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
	"CLIENT-EVICTION",
	"    Show low level client eviction pools info (maxmemory-clients).",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
	"CLUSTERLINK KILL <to|from|all> <node-id>",
	"    Kills the link based on the direction to/from (both) with the provided node.",
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: keys prefix:N
// (default "key") holding "value:N", zero-padded or cut to size when size
// is given and not 0; keys that exist are left alone. Like Redis it adds the keys
// directly: nothing is propagated.
func (s *Server) debugPopulate(ctx *command.Ctx) {
	args := ctx.Args
	count, ok := rnum.ParseInt(args[2])
	if !ok {
		ctx.Error(rediserr.NotInteger)
		return
	}
	if count < 0 {
		ctx.Error(rediserr.MustBePositive)
		return
	}
	prefix := "key"
	if len(args) > 3 {
		prefix = string(args[3])
	}
	size := int64(0) // 0: "value:N" as it is
	if len(args) > 4 {
		if size, ok = rnum.ParseInt(args[4]); !ok {
			ctx.Error(rediserr.NotInteger)
			return
		}
		if size < 0 {
			ctx.Error(rediserr.MustBePositive)
			return
		}
	}
	db := ctx.DB
	var key, val []byte
	for j := int64(0); j < count; j++ {
		key = strconv.AppendInt(append(append(key[:0], prefix...), ':'), j, 10)
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		if size > 0 {
			if int64(len(val)) > size {
				val = val[:size]
			} else {
				val = append(val, make([]byte, size-int64(len(val)))...)
			}
		}
		sl := slot.Of(key)
		s.ks.LockSlot(sl)
		if _, exists := db.Peek(key); !exists {
			db.SetString(key, val, false) // a running snapshot is told of the key there
		}
		s.ks.UnlockSlot(sl)
	}
	ctx.W.OK()
}
