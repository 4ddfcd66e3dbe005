package command

import (
	"strconv"
)

// Command names in the form handlers propagate them (read-only).
var (
	kwSET       = []byte("SET")
	kwPXAT      = []byte("PXAT")
	kwKEEPTTL   = []byte("KEEPTTL")
	kwPEXPIREAT = []byte("PEXPIREAT")
	kwPERSIST   = []byte("PERSIST")
	kwDEL       = []byte("DEL")
	kwUNLINK    = []byte("UNLINK")
	kwHSET      = []byte("HSET")
	kwSREM      = []byte("SREM")
	kwLPOP      = []byte("LPOP")
	kwRPOP      = []byte("RPOP")
	kwLMOVE     = []byte("LMOVE")
	kwRPOPLPUSH = []byte("RPOPLPUSH")
	kwZPOPMIN   = []byte("ZPOPMIN")
	kwZPOPMAX   = []byte("ZPOPMAX")
)

// propagateDel records the deletion of key as DEL, or UNLINK when the
// matching lazyfree setting is on (expire: lazyfree-lazy-expire, else
// lazyfree-lazy-user-del), as Redis's rewrites to shared.del/unlink do.
func (c *Ctx) propagateDel(key []byte, expire bool) {
	conf := c.Conf()
	if (expire && conf.LazyfreeLazyExpire) || (!expire && conf.LazyfreeLazyUserDel) {
		c.Propagate(kwUNLINK, key)
	} else {
		c.Propagate(kwDEL, key)
	}
}

// propagatePexpireat records PEXPIREAT key ms.
func (c *Ctx) propagatePexpireat(key []byte, ms int64) {
	var num [20]byte
	c.Propagate(kwPEXPIREAT, key, strconv.AppendInt(num[:0], ms, 10))
}

// propagateCount records cmd key n (LPOP/ZPOPMIN … with a count).
func (c *Ctx) propagateCount(cmd, key []byte, n int64) {
	var num [20]byte
	c.Propagate(cmd, key, strconv.AppendInt(num[:0], n, 10))
}

// alreadyExpired is Redis's checkAlreadyExpired: an absolute time at or
// before now deletes the key at once — except while the keyspace is
// replaying (an AOF, a master's stream), when the key is stored with its
// past TTL as Redis does.
func (c *Ctx) alreadyExpired(whenMs int64) bool {
	return whenMs <= c.KS.NowMs() && !c.KS.Replaying()
}
