package command

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

const wrongType = rediserr.WrongType

// ServerConfig is what the generic commands need to know of the server's
// configuration. The server's per-connection state (Ctx.Client) implements
// it; without it a standalone node with maxmemory 0 and policy noeviction is
// assumed.
type ServerConfig interface {
	// ClusterEnabled: MOVE, SWAPDB and COPY … DB are refused in cluster mode.
	ClusterEnabled() bool
	// MaxmemoryPolicy is the maxmemory-policy setting ("allkeys-lfu", …).
	MaxmemoryPolicy() string
	// Maxmemory is the maxmemory setting in bytes (0: no limit).
	Maxmemory() int64
}

type defaultServerConfig struct{}

func (defaultServerConfig) ClusterEnabled() bool    { return false }
func (defaultServerConfig) MaxmemoryPolicy() string { return "noeviction" }
func (defaultServerConfig) Maxmemory() int64        { return 0 }

func serverConfig(c *Ctx) ServerConfig {
	if sc, ok := c.Client.(ServerConfig); ok {
		return sc
	}
	return defaultServerConfig{}
}

func registerGeneric(t *Table) {
	t.Handle("del", cmdDel)
	t.Handle("unlink", cmdDel)
	t.Handle("exists", cmdExists)
	t.Handle("touch", cmdExists)
	t.Handle("type", cmdType)
	t.Handle("rename", func(c *Ctx) { rename(c, false) })
	t.Handle("renamenx", func(c *Ctx) { rename(c, true) })
	t.Handle("move", cmdMove)
	t.Handle("copy", cmdCopy)
	t.Handle("swapdb", cmdSwapDB).LockAll = true
	t.Handle("randomkey", cmdRandomKey).LockAll = true
	t.Handle("object|help", cmdObjectHelp)
	t.Handle("object|encoding", cmdObjectEncoding)
	t.Handle("object|refcount", cmdObjectRefcount)
	t.Handle("object|idletime", cmdObjectIdletime)
	t.Handle("object|freq", cmdObjectFreq)
	t.Handle("memory|usage", cmdMemoryUsage)
	registerExpire(t)
	registerScan(t)
}

// cmdDel is DEL and UNLINK (Shoal frees values at once either way; Go's
// collector does the freeing in the background). UNLINK (and DEL with
// lazyfree-lazy-user-del) counts the values Redis would free in the
// background in lazyfreed_objects.
func cmdDel(c *Ctx) {
	lazy := c.Cmd.Name == "unlink" || c.Conf().LazyfreeLazyUserDel
	n := 0
	for _, k := range c.Args[1:] {
		if lazy {
			if v, ok := c.DB.Peek(k); ok && types.FreeEffort(v.Obj) > types.LazyFreeThreshold {
				c.DB.Stats().LazyFreed.Add(1)
			}
		}
		if c.DB.Delete(k) {
			n++
			c.SignalReady(k) // signalDeletedKeyAsReady: a blocked XREADGROUP is told
			c.Notify(NotifyGeneric, "del", k)
		}
	}
	c.Dirty += n
	c.W.Int(int64(n))
}

// cmdExists is EXISTS and TOUCH: the number of named keys that exist,
// counting a key named twice twice. TOUCH marks them accessed (their LRU
// clock or LFU counter); EXISTS does not (Redis's LOOKUP_NOTOUCH).
func cmdExists(c *Ctx) {
	touch := c.Cmd.Name == "touch"
	n := 0
	for _, k := range c.Args[1:] {
		var ok bool
		if touch {
			_, ok = c.DB.Lookup(k)
		} else {
			_, ok = c.DB.Peek(k)
		}
		if ok {
			n++
		}
	}
	c.W.Int(int64(n))
}

func cmdType(c *Ctx) {
	v, ok := c.DB.Peek(c.Args[1])
	if !ok {
		c.W.Simple("none")
		return
	}
	c.W.Simple(v.Kind().String())
}

// rename is RENAME and RENAMENX. The value keeps its TTL; a key renamed onto
// itself is left alone (after checking that it exists).
func rename(c *Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	v, ok := c.DB.Lookup(src)
	if !ok {
		c.Error(rediserr.NoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.W.Int(0)
		} else {
			c.W.OK()
		}
		return
	}
	when := c.DB.Expire(src)
	if c.DB.Exists(dst) {
		if nx {
			c.W.Int(0)
			return
		}
		c.DB.Delete(dst)
	}
	c.DB.Put(dst, v, when)
	c.DB.Delete(src)
	c.SignalReady(dst) // a blocked BLPOP/BZPOP on dst may now be served
	c.Notify(NotifyGeneric, "rename_from", src)
	c.Notify(NotifyGeneric, "rename_to", dst)
	c.Dirty++
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}

// parseDBIndex parses a database index as Redis getIntFromObjectOrReply
// does, replying with its errors; ok is false after an error reply.
func parseDBIndex(c *Ctx, arg []byte) (int, bool) {
	n, ok := rnum.ParseInt(arg)
	if !ok {
		c.Error(rediserr.NotInteger)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.Error(rediserr.IntOutOfRange)
		return 0, false
	}
	return int(n), true
}

// cmdMove is MOVE key db. The destination key has the source's slot, so the
// stripe locked for the command covers it in every database.
func cmdMove(c *Ctx) {
	if serverConfig(c).ClusterEnabled() {
		c.Error(rediserr.MoveCluster)
		return
	}
	id, ok := parseDBIndex(c, c.Args[2])
	if !ok {
		return
	}
	if id < 0 || id >= c.KS.NumDBs() {
		c.Error(rediserr.InvalidDBIndex)
		return
	}
	if id == c.DB.Index {
		c.Error(rediserr.SameObject)
		return
	}
	key := c.Args[1]
	v, ok := c.DB.Lookup(key)
	if !ok {
		c.W.Int(0)
		return
	}
	dst := c.KS.DB(id)
	if dst.Exists(key) {
		c.W.Int(0)
		return
	}
	dst.Put(key, v, c.DB.Expire(key))
	c.DB.Delete(key)
	c.SignalReadyDB(id, key)
	c.Notify(NotifyGeneric, "move_from", key)
	c.NotifyDB(id, NotifyGeneric, "move_to", key)
	c.Dirty++
	c.W.Int(1)
}

// cmdCopy is COPY source destination [DB destination-db] [REPLACE].
// Collections are copied deeply through types.Copier.
func cmdCopy(c *Ctx) {
	dstDB := c.DB
	replace := false
	for j := 3; j < len(c.Args); j++ {
		switch {
		case strings.EqualFold(string(c.Args[j]), "replace"):
			replace = true
		case strings.EqualFold(string(c.Args[j]), "db") && j+1 < len(c.Args):
			id, ok := parseDBIndex(c, c.Args[j+1])
			if !ok {
				return
			}
			if id < 0 || id >= c.KS.NumDBs() {
				c.Error(rediserr.InvalidDBIndex)
				return
			}
			dstDB = c.KS.DB(id)
			j++
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	if serverConfig(c).ClusterEnabled() && (c.DB.Index != 0 || dstDB.Index != 0) {
		c.Error(rediserr.CopyCluster)
		return
	}
	src, dst := c.Args[1], c.Args[2]
	if dstDB == c.DB && string(src) == string(dst) {
		c.Error(rediserr.SameObject)
		return
	}
	v, ok := c.DB.Lookup(src)
	if !ok {
		c.W.Int(0)
		return
	}
	exists := dstDB.Exists(dst)
	if exists && !replace {
		c.W.Int(0)
		return
	}
	if v.Obj != nil {
		cp, ok := v.Obj.(types.Copier)
		if !ok {
			c.Error(rediserr.CopyUnsupported)
			return
		}
		v.Obj = cp.Copy()
	}
	if exists {
		dstDB.Delete(dst) // so that the copy is a new key, as Redis's dbDelete + dbAdd
	}
	dstDB.Put(dst, v, c.DB.Expire(src))
	c.SignalReadyDB(dstDB.Index, dst)
	c.NotifyDB(dstDB.Index, NotifyGeneric, "copy_to", dst)
	c.Dirty++
	c.W.Int(1)
}

// cmdSwapDB is SWAPDB index1 index2 (LockAll).
func cmdSwapDB(c *Ctx) {
	if serverConfig(c).ClusterEnabled() {
		c.Error(rediserr.SwapDBCluster)
		return
	}
	// getIntFromObjectOrReply with a custom message: not an integer and
	// outside int32 are the same error.
	a, ok := rnum.ParseInt(c.Args[1])
	if !ok || a < math.MinInt32 || a > math.MaxInt32 {
		c.Error(rediserr.SwapDBFirst)
		return
	}
	b, ok := rnum.ParseInt(c.Args[2])
	if !ok || b < math.MinInt32 || b > math.MaxInt32 {
		c.Error(rediserr.SwapDBSecond)
		return
	}
	n := int64(c.KS.NumDBs())
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Error(rediserr.InvalidDBIndex)
		return
	}
	c.KS.SwapDB(int(a), int(b))
	// Clients blocked on keys of either database may now find data.
	c.SignalReadyWholeDB(int(a))
	c.SignalReadyWholeDB(int(b))
	c.Dirty++
	c.W.OK()
}

// cmdRandomKey replies with a random live key, or null (LockAll).
func cmdRandomKey(c *Ctx) {
	k, ok := c.DB.RandomKey(rand.IntN)
	if !ok {
		c.W.Null()
		return
	}
	c.W.BulkString(k)
}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func cmdObjectHelp(c *Ctx) {
	c.W.Array(len(objectHelp))
	for _, l := range objectHelp {
		c.W.Simple(l)
	}
}

func cmdObjectEncoding(c *Ctx) {
	v, ok := c.DB.Peek(c.Args[2])
	if !ok {
		c.W.Null()
		return
	}
	if v.Obj != nil {
		c.W.BulkString(v.Obj.Encoding())
		return
	}
	c.W.BulkString(types.StringEncoding(v.Str))
}

// sharedRefcount is what OBJECT REFCOUNT says of Redis's shared integer
// objects (OBJ_SHARED_REFCOUNT).
const sharedRefcount = math.MaxInt32

// sharedIntegers is Redis's OBJ_SHARED_INTEGERS: values 0…9999 stored as
// strings are shared objects unless maxmemory is set with an LRU/LFU policy.
const sharedIntegers = 10000

// cmdObjectRefcount answers as Redis would: shared integers report
// 2147483647, everything else 1 (Shoal shares no values).
func cmdObjectRefcount(c *Ctx) {
	v, ok := c.DB.Peek(c.Args[2])
	if !ok {
		c.W.Null()
		return
	}
	if v.Obj == nil && isSharedInteger(c, v.Str) {
		c.W.Int(sharedRefcount)
		return
	}
	c.W.Int(1)
}

func isSharedInteger(c *Ctx, s string) bool {
	if types.StringEncoding(s) != "int" {
		return false
	}
	n, ok := rnum.ParseInt([]byte(s))
	if !ok || n < 0 || n >= sharedIntegers {
		return false
	}
	sc := serverConfig(c)
	if sc.Maxmemory() != 0 {
		p := sc.MaxmemoryPolicy()
		if strings.Contains(p, "lru") || strings.Contains(p, "lfu") {
			return false
		}
	}
	return true
}

func lfuPolicy(c *Ctx) bool { return strings.Contains(serverConfig(c).MaxmemoryPolicy(), "lfu") }

// cmdObjectIdletime reports the seconds since the key was last accessed
// (without counting this look as an access); under an LFU policy it errors
// as Redis does.
func cmdObjectIdletime(c *Ctx) {
	idle, ok := c.DB.IdleSeconds(c.Args[2])
	if !ok {
		c.W.Null()
		return
	}
	if lfuPolicy(c) {
		c.Error(rediserr.LFUSelected)
		return
	}
	c.W.Int(idle)
}

func cmdObjectFreq(c *Ctx) {
	f, ok := c.DB.Frequency(c.Args[2])
	if !ok {
		c.W.Null()
		return
	}
	if !lfuPolicy(c) {
		c.Error(rediserr.LFUNotSelected)
		return
	}
	c.W.Int(int64(f))
}

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]. The size is Shoal's
// estimate of the entry, key and value by allocation size class (the one
// used_memory counts); every element is counted, so SAMPLES is checked
// but not needed.
func cmdMemoryUsage(c *Ctx) {
	for j := 3; j < len(c.Args); j++ {
		if !strings.EqualFold(string(c.Args[j]), "samples") || j+1 >= len(c.Args) {
			c.Error(rediserr.Syntax)
			return
		}
		n, ok := rnum.ParseInt(c.Args[j+1])
		if !ok {
			c.Error(rediserr.NotInteger)
			return
		}
		if n < 0 {
			c.Error(rediserr.Syntax)
			return
		}
		j++
	}
	n, ok := c.DB.MemoryUsage(c.Args[2])
	if !ok {
		c.W.Null()
		return
	}
	c.W.Int(n)
}
