package command

import (
	"math"
	"math/big"
	"strconv"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

func registerStrings(t *Table) {
	t.Handle("get", cmdGet)
	t.Handle("set", cmdSet)
	t.Handle("setnx", cmdSetnx)
	t.Handle("setex", cmdSetex)
	t.Handle("psetex", cmdPsetex)
	t.Handle("getset", cmdGetset)
	t.Handle("getdel", cmdGetdel)
	t.Handle("getex", cmdGetex)
	t.Handle("mget", cmdMget)
	t.Handle("mset", cmdMset)
	t.Handle("msetnx", cmdMsetnx)
	t.Handle("append", cmdAppend)
	t.Handle("strlen", cmdStrlen)
	t.Handle("incr", func(c *Ctx) { incrDecr(c, 1) })
	t.Handle("decr", func(c *Ctx) { incrDecr(c, -1) })
	t.Handle("incrby", cmdIncrby)
	t.Handle("decrby", cmdDecrby)
	t.Handle("incrbyfloat", cmdIncrbyfloat)
	t.Handle("getrange", cmdGetrange)
	t.Handle("substr", cmdGetrange)
	t.Handle("setrange", cmdSetrange)
	t.Handle("lcs", cmdLcs)
	registerBits(t)
}

// intArg parses an integer argument, replying with msg when it is not one.
func intArg(c *Ctx, b []byte, msg string) (int64, bool) {
	v, ok := rnum.ParseInt(b)
	if !ok {
		c.Error(msg)
	}
	return v, ok
}

// cstr is b up to its first NUL byte: Redis compares option names as C
// strings, so "nx\x00junk" is NX.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// eqFold reports whether b equals lower (an ASCII lower-case word) ignoring case.
func eqFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// optIs reports whether an option argument names opt (strcasecmp semantics).
func optIs(b []byte, lower string) bool { return eqFold(cstr(b), lower) }

// OptIs is optIs for the server's commands: b, read as a C string, equals
// the lower-case word ignoring ASCII case (Redis's strcasecmp on an argument).
func OptIs(b []byte, lower string) bool { return optIs(b, lower) }

// SET / GETEX option flags (Redis's OBJ_* flags).
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optAnyExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOpts parses SET's (isSet) or GETEX's options from args[j:],
// following parseExtendedStringArgumentsOrReply: an option that conflicts
// with one already given, an option of the other command, or an expire
// option without its value is a syntax error. Repeating an option is not.
func parseStringOpts(args [][]byte, j int, isSet bool) (flags int, expire []byte, ok bool) {
	for ; j < len(args); j++ {
		opt := cstr(args[j])
		hasNext := j < len(args)-1
		switch {
		case isSet && eqFold(opt, "nx") && flags&optXX == 0:
			flags |= optNX
		case isSet && eqFold(opt, "xx") && flags&optNX == 0:
			flags |= optXX
		case isSet && eqFold(opt, "get"):
			flags |= optGet
		case isSet && eqFold(opt, "keepttl") && flags&(optPersist|optAnyExpire) == 0:
			flags |= optKeepTTL
		case !isSet && eqFold(opt, "persist") && flags&(optKeepTTL|optAnyExpire) == 0:
			flags |= optPersist
		case eqFold(opt, "ex") && hasNext && flags&(optKeepTTL|optPersist|optAnyExpire&^optEX) == 0:
			flags |= optEX
			expire = args[j+1]
			j++
		case eqFold(opt, "px") && hasNext && flags&(optKeepTTL|optPersist|optAnyExpire&^optPX) == 0:
			flags |= optPX
			expire = args[j+1]
			j++
		case eqFold(opt, "exat") && hasNext && flags&(optKeepTTL|optPersist|optAnyExpire&^optEXAT) == 0:
			flags |= optEXAT
			expire = args[j+1]
			j++
		case eqFold(opt, "pxat") && hasNext && flags&(optKeepTTL|optPersist|optAnyExpire&^optPXAT) == 0:
			flags |= optPXAT
			expire = args[j+1]
			j++
		default:
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// expireAt turns an expire argument into an absolute time in ms as Redis's
// getExpireMillisecondsOrReply does, replying with an error (invalidMsg for
// a non-positive or overflowing time) when it cannot.
func expireAt(c *Ctx, flags int, arg []byte, invalidMsg string) (int64, bool) {
	ms, ok := intArg(c, arg, rediserr.NotInteger)
	if !ok {
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.Error(invalidMsg)
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		ms += c.KS.NowMs() // wraps negative on overflow, as in Redis
	}
	if ms <= 0 {
		c.Error(invalidMsg)
		return 0, false
	}
	return ms, true
}

func cmdGet(c *Ctx) {
	v, ok := c.DB.LookupIn(c.KeySlot(), c.Args[1])
	if !ok {
		c.W.Null()
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	c.W.BulkString(v.Str)
}

// getGeneric replies with key's string value (or null), reporting false
// after replying WRONGTYPE.
func getGeneric(c *Ctx, key []byte) bool {
	v, ok := c.DB.Lookup(key)
	if !ok {
		c.W.Null()
		return true
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return false
	}
	c.W.BulkString(v.Str)
	return true
}

// setReply says how a SET-family command answers: SET and SETEX reply OK
// (null when NX/XX aborts it), SETNX 1 or 0.
type setReply uint8

const (
	replyOK setReply = iota
	replyOneZero
)

// setGeneric is Redis's setGenericCommand.
func setGeneric(c *Ctx, flags int, key, val, expire []byte, invalidMsg string, reply setReply) {
	var when int64
	if expire != nil {
		var ok bool
		if when, ok = expireAt(c, flags, expire, invalidMsg); !ok {
			return
		}
	}
	if flags&optGet != 0 && !getGeneric(c, key) {
		return
	}
	if flags&(optNX|optXX) != 0 {
		found := c.DB.Exists(key)
		if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
			if flags&optGet == 0 {
				if reply == replyOneZero {
					c.W.Int(0)
				} else {
					c.W.Null()
				}
			}
			return
		}
	}
	if expire != nil {
		c.DB.SetStringExpire(key, val, when)
		// Redis 7.0 propagates any relative or absolute expiry as SET key value PXAT ms.
		var num [20]byte
		c.Propagate(kwSET, key, val, kwPXAT, strconv.AppendInt(num[:0], when, 10))
		c.Notify(NotifyString, "set", key)
		c.Notify(NotifyGeneric, "expire", key)
	} else {
		c.DB.SetString(key, val, flags&optKeepTTL != 0)
		if flags&optGet != 0 {
			propagateSetWithoutGet(c)
		}
		c.Notify(NotifyString, "set", key)
	}
	c.Dirty++
	if flags&optGet == 0 {
		if reply == replyOneZero {
			c.W.Int(1)
		} else {
			c.W.OK()
		}
	}
}

// propagateSetWithoutGet records SET's arguments without its GET options,
// as setGenericCommand's replaceClientCommandVector does.
func propagateSetWithoutGet(c *Ctx) {
	var stack [8][]byte
	argv := stack[:0]
	for j, a := range c.Args {
		if j >= 3 && eqFold(a, "get") {
			continue
		}
		argv = append(argv, a)
	}
	c.Propagate(argv...)
}

func cmdSet(c *Ctx) {
	if len(c.Args) == 3 { // the hot path: no options
		c.DB.SetStringIn(c.KeySlot(), c.Args[1], c.Args[2], false)
		c.Dirty++
		c.Notify(NotifyString, "set", c.Args[1])
		c.W.OK()
		c.SignalReady(c.Args[1]) // an XREADGROUP blocked on a stream here is told
		return
	}
	flags, expire, ok := parseStringOpts(c.Args, 3, true)
	if !ok {
		c.Error(rediserr.Syntax)
		return
	}
	setGeneric(c, flags, c.Args[1], c.Args[2], expire, rediserr.InvalidExpire, replyOK)
}

func cmdSetnx(c *Ctx) {
	setGeneric(c, optNX, c.Args[1], c.Args[2], nil, "", replyOneZero)
}

func cmdSetex(c *Ctx) {
	setGeneric(c, optEX, c.Args[1], c.Args[3], c.Args[2], rediserr.InvalidExpireSetex, replyOK)
}

func cmdPsetex(c *Ctx) {
	setGeneric(c, optPX, c.Args[1], c.Args[3], c.Args[2], rediserr.InvalidExpirePsetx, replyOK)
}

func cmdGetset(c *Ctx) {
	if !getGeneric(c, c.Args[1]) {
		return
	}
	c.DB.SetString(c.Args[1], c.Args[2], false)
	c.Dirty++
	c.Propagate(kwSET, c.Args[1], c.Args[2]) // GETSET propagates as SET
	c.Notify(NotifyString, "set", c.Args[1])
}

func cmdGetdel(c *Ctx) {
	if !getGeneric(c, c.Args[1]) {
		return
	}
	if c.DB.Delete(c.Args[1]) {
		c.Dirty++
		c.propagateDel(c.Args[1], false)
		c.Notify(NotifyGeneric, "del", c.Args[1])
	}
}

func cmdGetex(c *Ctx) {
	flags, expire, ok := parseStringOpts(c.Args, 2, false)
	if !ok {
		c.Error(rediserr.Syntax)
		return
	}
	key := c.Args[1]
	v, found := c.DB.Lookup(key)
	if !found {
		c.W.Null()
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	var when int64
	if expire != nil {
		if when, ok = expireAt(c, flags, expire, rediserr.InvalidExpireGetex); !ok {
			return
		}
	}
	c.W.BulkString(v.Str)
	switch {
	case flags&(optEXAT|optPXAT) != 0 && c.alreadyExpired(when):
		// an absolute time already past deletes the key
		c.DB.Delete(key)
		c.Dirty++
		c.propagateDel(key, true)
		c.Notify(NotifyGeneric, "del", key)
	case expire != nil:
		c.DB.SetExpire(key, when)
		c.Dirty++
		c.propagatePexpireat(key, when)
		c.Notify(NotifyGeneric, "expire", key)
	case flags&optPersist != 0:
		if c.DB.Persist(key) {
			c.Dirty++
			c.Propagate(kwPERSIST, key)
			c.Notify(NotifyGeneric, "persist", key)
		}
	}
}

func cmdMget(c *Ctx) {
	c.W.Array(len(c.Args) - 1)
	for _, k := range c.Args[1:] {
		v, ok := c.DB.Lookup(k)
		if !ok || v.Obj != nil {
			c.W.Null()
			continue
		}
		c.W.BulkString(v.Str)
	}
}

func msetGeneric(c *Ctx, nx bool) {
	if len(c.Args)%2 == 0 {
		c.Error(rediserr.WrongArity(c.Cmd.Name))
		return
	}
	if nx {
		for j := 1; j < len(c.Args); j += 2 {
			if c.DB.Exists(c.Args[j]) {
				c.W.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(c.Args); j += 2 {
		c.DB.SetString(c.Args[j], c.Args[j+1], false)
		c.Notify(NotifyString, "set", c.Args[j])
	}
	c.Dirty += (len(c.Args) - 1) / 2
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}

func cmdMset(c *Ctx)   { msetGeneric(c, false) }
func cmdMsetnx(c *Ctx) { msetGeneric(c, true) }

// checkStringLength reports whether a string of size bytes may be built,
// replying with Redis's error if not.
func checkStringLength(c *Ctx, size int64) bool {
	if size > c.Conf().ProtoMaxBulkLen || size < 0 {
		c.Error(rediserr.StringTooLong)
		return false
	}
	return true
}

func cmdAppend(c *Ctx) {
	key, add := c.Args[1], c.Args[2]
	v, ok := c.DB.Lookup(key)
	if !ok {
		c.DB.SetString(key, add, false)
		c.Dirty++
		c.Notify(NotifyString, "append", key)
		c.W.Int(int64(len(add)))
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	total := len(v.Str) + len(add)
	if !checkStringLength(c, int64(total)) {
		return
	}
	old := v.Str
	c.DB.SetStringFunc(key, total, true, func(dst []byte) {
		copy(dst[copy(dst, old):], add)
	})
	c.Dirty++
	c.Notify(NotifyString, "append", key)
	c.W.Int(int64(total))
}

func cmdStrlen(c *Ctx) {
	v, ok := c.DB.Lookup(c.Args[1])
	if !ok {
		c.W.Int(0)
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	c.W.Int(int64(len(v.Str)))
}

func incrDecr(c *Ctx, incr int64) {
	key := c.Args[1]
	v, found := c.DB.Lookup(key)
	var old int64
	if found {
		if v.Obj != nil {
			c.Error(wrongType)
			return
		}
		var ok bool
		if old, ok = rnum.ParseInt(v.Str); !ok {
			c.Error(rediserr.NotInteger)
			return
		}
	}
	if (incr < 0 && old < 0 && incr < math.MinInt64-old) ||
		(incr > 0 && old > 0 && incr > math.MaxInt64-old) {
		c.Error(rediserr.Overflow)
		return
	}
	n := old + incr
	var buf [24]byte
	c.DB.SetStringKeepTTL(key, strconv.AppendInt(buf[:0], n, 10))
	c.Dirty++
	c.Notify(NotifyString, "incrby", key)
	c.W.Int(n)
}

func cmdIncrby(c *Ctx) {
	if incr, ok := intArg(c, c.Args[2], rediserr.NotInteger); ok {
		incrDecr(c, incr)
	}
}

func cmdDecrby(c *Ctx) {
	incr, ok := intArg(c, c.Args[2], rediserr.NotInteger)
	if !ok {
		return
	}
	if incr == math.MinInt64 {
		c.Error(rediserr.DecrOverflow)
		return
	}
	incrDecr(c, -incr)
}

func cmdIncrbyfloat(c *Ctx) {
	key := c.Args[1]
	v, found := c.DB.Lookup(key)
	if found && v.Obj != nil {
		c.Error(wrongType)
		return
	}
	var cur longDouble
	if found {
		var ok bool
		if cur, ok = parseLongDouble(v.Str); !ok {
			c.Error(rediserr.NotFloat)
			return
		}
	} else {
		cur = ldZero()
	}
	incr, ok := parseLongDouble(c.Args[2])
	if !ok {
		c.Error(rediserr.NotFloat)
		return
	}
	sum, ok := ldAdd(cur, incr)
	if !ok {
		c.Error(rediserr.IncrNaNOrInf)
		return
	}
	out := ldFormatHuman(sum)
	c.DB.SetStringKeepTTL(key, out)
	c.Dirty++
	// The result, not the increment: a replica or an AOF replay gets the
	// same float whatever its precision.
	c.Propagate(kwSET, key, out, kwKEEPTTL)
	c.Notify(NotifyString, "incrbyfloat", key)
	c.W.Bulk(out)
}

func cmdGetrange(c *Ctx) {
	start, ok := intArg(c, c.Args[2], rediserr.NotInteger)
	if !ok {
		return
	}
	end, ok := intArg(c, c.Args[3], rediserr.NotInteger)
	if !ok {
		return
	}
	v, found := c.DB.Lookup(c.Args[1])
	if !found {
		c.W.BulkString("")
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	s := v.Str
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.W.BulkString("")
		return
	}
	start, end = clampRange(start, end, n)
	if start > end || n == 0 {
		c.W.BulkString("")
		return
	}
	c.W.BulkString(s[start : end+1])
}

func cmdSetrange(c *Ctx) {
	key, val := c.Args[1], c.Args[3]
	offset, ok := intArg(c, c.Args[2], rediserr.NotInteger)
	if !ok {
		return
	}
	if offset < 0 {
		c.Error(rediserr.OffsetOutOfRange)
		return
	}
	v, found := c.DB.Lookup(key)
	if found && v.Obj != nil {
		c.Error(wrongType)
		return
	}
	if len(val) == 0 {
		c.W.Int(int64(len(v.Str))) // 0 for a missing key
		return
	}
	size := offset + int64(len(val))
	if offset > math.MaxInt64-int64(len(val)) {
		size = math.MaxInt64
	}
	if !checkStringLength(c, size) {
		return
	}
	total := max(len(v.Str), int(offset)+len(val))
	// Within the value, the bytes change in place, as Redis's SETRANGE
	// writes into its sds: copying a 100 KB value to change ten bytes of
	// it cost the whole copy per command, and the garbage made each
	// collection's live figure (used_memory) stand values above the data.
	if total == len(v.Str) && c.DB.MutateString(key, func(b []byte) { copy(b[offset:], val) }) {
		c.Dirty++
		c.Notify(NotifyString, "setrange", key)
		c.W.Int(int64(total))
		return
	}
	old := v.Str
	c.DB.SetStringFunc(key, total, true, func(dst []byte) {
		copy(dst, old)
		copy(dst[offset:], val)
	})
	c.Dirty++
	c.Notify(NotifyString, "setrange", key)
	c.W.Int(int64(total))
}

// longDouble emulates the C long double (x87 80-bit extended: 64-bit
// mantissa, 15-bit exponent) INCRBYFLOAT computes in, so results round and
// print exactly as Redis's do (10.5 + 0.1 is "10.6", not 10.59999…).
type longDouble = *big.Float

const (
	ldMantBits = 64
	ldMaxExp   = 16384  // MantExp of the largest finite long double
	ldMinExp   = -16444 // MantExp of the smallest denormal
	ldMaxChars = 5 * 1024
)

func ldZero() longDouble { return new(big.Float).SetPrec(ldMantBits).SetMode(big.ToNearestEven) }

// parseLongDouble parses s as Redis's string2ld does with strtold: the
// whole string must be a decimal or hex float, "inf" or "infinity"
// (optionally signed); no spaces; NaN and out-of-range values are rejected.
func parseLongDouble[T string | []byte](s T) (longDouble, bool) {
	if len(s) == 0 || len(s) >= ldMaxChars {
		return nil, false
	}
	str := string(s)
	rest, neg := str, false
	if rest[0] == '+' || rest[0] == '-' {
		neg, rest = rest[0] == '-', rest[1:]
	}
	if eqFold([]byte(rest), "inf") || eqFold([]byte(rest), "infinity") {
		return ldZero().SetInf(neg), true
	}
	hex := len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x'
	zero, ok := floatSyntax(rest, hex)
	if !ok {
		return nil, false
	}
	if zero {
		return ldZero(), true
	}
	f := ldZero()
	base := 10
	if hex {
		base = 0
	}
	if _, _, err := f.Parse(str, base); err != nil {
		return nil, false // exponent out of any range: HUGE_VAL or 0 with ERANGE
	}
	if e := f.MantExp(nil); e > ldMaxExp || e < ldMinExp {
		return nil, false
	}
	return f, true
}

// floatSyntax checks s (sign removed) against strtold's grammar for a
// decimal float ("1", "1.", ".5", "1e-3") or, if hex, a hex float
// ("0x1.8p3"), and reports whether its mantissa is all zeros.
func floatSyntax(s string, hex bool) (zero, ok bool) {
	i := 0
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	if hex {
		i = 2
		isDigit = func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' }
	}
	digits, zero := 0, true
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
		zero = zero && s[i] == '0'
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
			zero = zero && s[i] == '0'
		}
	}
	if digits == 0 {
		return false, false
	}
	if i < len(s) && (!hex && s[i]|0x20 == 'e' || hex && s[i]|0x20 == 'p') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			n++
		}
		if n == 0 {
			return false, false
		}
	}
	return zero, i == len(s)
}

// ldAdd is a + b in long double arithmetic; false if the sum is infinite
// or NaN.
func ldAdd(a, b longDouble) (longDouble, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	r := ldZero().Add(a, b)
	if r.Sign() != 0 && r.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return r, true
}

// ldFormatHuman prints f as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf" with trailing zeros (and a trailing '.') removed, "-0" as "0".
func ldFormatHuman(f longDouble) []byte {
	b := f.Append(nil, 'f', 17)
	if bytesIndexByte(b, '.') >= 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[1:]
	}
	return b
}

func bytesIndexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// cmdLcs is LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], the
// vanilla dynamic-programming longest common subsequence Redis 7.0 runs.
func cmdLcs(c *Ctx) {
	va, okA := c.DB.Lookup(c.Args[1])
	vb, okB := c.DB.Lookup(c.Args[2])
	if (okA && va.Obj != nil) || (okB && vb.Obj != nil) {
		c.Error(rediserr.LCSWrongType)
		return
	}
	a, b := va.Str, vb.Str
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.Args); j++ {
		opt := c.Args[j]
		more := len(c.Args) - 1 - j
		switch {
		case optIs(opt, "idx"):
			getIdx = true
		case optIs(opt, "len"):
			getLen = true
		case optIs(opt, "withmatchlen"):
			withMatchLen = true
		case optIs(opt, "minmatchlen") && more > 0:
			n, ok := intArg(c, c.Args[j+1], rediserr.NotInteger)
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	if getIdx && getLen {
		c.Error(rediserr.LCSIdxAndLen)
		return
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		c.Error(rediserr.LCSTooLong)
		return
	}
	alen, blen := len(a), len(b)
	if uint64(alen+1)*uint64(blen+1)*4 > uint64(c.Conf().ProtoMaxBulkLen) {
		c.Error(rediserr.LCSExceedsBulkLen)
		return
	}
	w := blen + 1
	lcs := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		row, prev := lcs[i*w:(i+1)*w], lcs[(i-1)*w:i*w]
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	at := func(i, j int) uint32 { return lcs[i*w+j] }
	total := at(alen, blen)
	if getLen {
		c.W.Int(int64(total))
		return
	}
	result := make([]byte, total)
	type match struct{ aStart, aEnd, bStart, bEnd int }
	var matches []match
	idx := int(total)
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0 // aStart == alen: no range open
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if getIdx && (minMatchLen == 0 || int64(aEnd-aStart+1) >= minMatchLen) {
				matches = append(matches, match{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	if !getIdx {
		c.W.Bulk(result)
		return
	}
	c.W.Map(2)
	c.W.BulkString("matches")
	c.W.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.W.Array(3)
		} else {
			c.W.Array(2)
		}
		c.W.Array(2)
		c.W.Int(int64(m.aStart))
		c.W.Int(int64(m.aEnd))
		c.W.Array(2)
		c.W.Int(int64(m.bStart))
		c.W.Int(int64(m.bEnd))
		if withMatchLen {
			c.W.Int(int64(m.aEnd - m.aStart + 1))
		}
	}
	c.W.BulkString("len")
	c.W.Int(int64(total))
}
