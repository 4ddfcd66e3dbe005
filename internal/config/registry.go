package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/rnum"
)

// dtype is a directive's value type, as in Redis's standardConfig.
type dtype uint8

const (
	tBool dtype = iota
	tNum
	tEnum
	tString
	tSpecial
)

// dflag holds per-directive flags (Redis's *_CONFIG flags).
type dflag uint16

const (
	immutable   dflag = 1 << iota // CONFIG SET refuses it
	protected                     // CONFIG SET needs enable-protected-configs
	multiArg                      // takes several arguments
	hidden                        // left out of CONFIG GET patterns
	denyLoading                   // CONFIG SET refuses it while loading
	sensitive                     // value is redacted from logs
)

// nflag says which extra spellings a numeric directive accepts.
type nflag uint8

const (
	nMemory  nflag = 1 << iota // 1k, 5mb, 2gb
	nPercent                   // 10% (stored as -10)
	nOctal                     // 0700
)

type enumVal struct {
	name string
	val  int
}

// numRef reads and writes the int64 view of a numeric directive's field.
type numRef struct {
	get func(*Config) int64
	set func(*Config, int64)
}

// directive is one row of the table. Only the fields of its dtype are used.
type directive struct {
	name, alias string
	flags       dflag
	typ         dtype
	extra       bool // no typed field: the value lives in Config.xb/xn/xs

	b    func(*Config) *bool
	defB bool

	n        numRef
	lo, hi   int64
	defN     int64
	nf       nflag
	unsigned bool // unsigned C type: bounds compare as uint64

	e    func(*Config) *string
	enum []enumVal
	defE string

	s         func(*Config) *string
	defS      string
	nullEmpty bool // EMPTY_STRING_IS_NULL: an empty value is left out of rewrites
	validS    func(string) string

	// special directives
	setFn     func(c *Config, args []string) string
	getFn     func(c *Config) string
	rewriteFn func(c *Config, st *rewriteState)
	initFn    func(c *Config)
}

// bindExtra points directives without a typed field at the Config's
// per-name maps. It runs once, from the byName initializer.
func (d *directive) bindExtra() {
	name := d.name
	switch d.typ {
	case tBool:
		if d.b == nil {
			d.extra = true
			d.b = func(c *Config) *bool { return c.xb[name] }
		}
	case tNum:
		if d.n.get == nil {
			d.extra = true
			d.n = numRef{
				get: func(c *Config) int64 { return *c.xn[name] },
				set: func(c *Config, v int64) { *c.xn[name] = v },
			}
		}
	case tEnum:
		if d.e == nil {
			d.extra = true
			d.e = func(c *Config) *string { return c.xs[name] }
		}
	case tString:
		if d.s == nil {
			d.extra = true
			d.s = func(c *Config) *string { return c.xs[name] }
		}
	}
}

// init stores the default value in c.
func (d *directive) init(c *Config) {
	if d.extra {
		switch d.typ {
		case tBool:
			c.xb[d.name] = new(bool)
		case tNum:
			c.xn[d.name] = new(int64)
		default:
			c.xs[d.name] = new(string)
		}
	}
	switch d.typ {
	case tBool:
		*d.b(c) = d.defB
	case tNum:
		d.n.set(c, d.defN)
	case tEnum:
		*d.e(c) = d.defE
	case tString:
		*d.s(c) = d.defS
	case tSpecial:
		d.initFn(c)
	}
}

// set parses args into the directive's field. It returns Redis's error
// reason, or "" on success.
func (d *directive) set(c *Config, args []string) string {
	switch d.typ {
	case tBool:
		switch strings.ToLower(args[0]) {
		case "yes":
			*d.b(c) = true
		case "no":
			*d.b(c) = false
		default:
			return "argument must be 'yes' or 'no'"
		}
	case tNum:
		v, err := d.parseNum(args[0])
		if err != "" {
			return err
		}
		if err := d.checkBounds(v); err != "" {
			return err
		}
		d.n.set(c, v)
	case tEnum:
		bitflags := d.flags&multiArg != 0
		if len(args) == 0 || (!bitflags && len(args) != 1) {
			return d.enumErr()
		}
		val := 0
		for _, a := range args {
			matched := false
			for _, e := range d.enum {
				if strings.EqualFold(e.name, a) {
					val |= e.val
					matched = true
				}
			}
			if !matched {
				return d.enumErr()
			}
		}
		if bitflags && val&shutdownSave != 0 && val&shutdownNosave != 0 {
			return "shutdown options SAVE and NOSAVE can't be used simultaneously"
		}
		*d.e(c) = enumName(d.enum, val, bitflags)
	case tString:
		if d.validS != nil {
			if err := d.validS(args[0]); err != "" {
				return err
			}
		}
		*d.s(c) = args[0]
	case tSpecial:
		return d.setFn(c, args)
	}
	return ""
}

func (d *directive) enumErr() string {
	var b strings.Builder
	b.WriteString("argument(s) must be one of the following: ")
	for i, e := range d.enum {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.name)
	}
	s := b.String()
	if len(s) > 255 { // Redis copies it into a 256-byte buffer
		s = s[:255]
	}
	return s
}

func (d *directive) parseNum(s string) (int64, string) {
	if d.nf&nMemory != 0 {
		if v, ok := memToUint(s); ok {
			return int64(v), ""
		}
	}
	if d.nf&nPercent != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if v, ok := rnum.ParseInt(s[:len(s)-1]); ok && v >= 0 {
			return -v, ""
		}
	}
	if d.nf&nOctal != 0 {
		if v, ok, overflow := strtollFull(s, 8); ok && !overflow {
			return v, ""
		}
	}
	if d.nf == 0 {
		if v, ok := rnum.ParseInt(s); ok {
			return v, ""
		}
	}
	switch {
	case d.nf&nMemory != 0 && d.nf&nPercent != 0:
		return 0, "argument must be a memory or percent value"
	case d.nf&nMemory != 0:
		return 0, "argument must be a memory value"
	case d.nf&nOctal != 0:
		return 0, "argument couldn't be parsed as an octal number"
	}
	return 0, "argument couldn't be parsed into an integer"
}

func (d *directive) checkBounds(v int64) string {
	if d.unsigned {
		u, lo, hi := uint64(v), uint64(d.lo), uint64(d.hi)
		if u > hi || u < lo {
			if d.nf&nOctal != 0 {
				return fmt.Sprintf("argument must be between %o and %o inclusive", lo, hi)
			}
			return fmt.Sprintf("argument must be between %d and %d inclusive", lo, hi)
		}
		return ""
	}
	if d.nf&nPercent != 0 && v < 0 {
		if v < d.lo {
			return fmt.Sprintf("percentage argument must be less or equal to %d", -d.lo)
		}
		return ""
	}
	if v > d.hi || v < d.lo {
		return fmt.Sprintf("argument must be between %d and %d inclusive", d.lo, d.hi)
	}
	return ""
}

// get formats the current value as CONFIG GET shows it.
func (d *directive) get(c *Config) string {
	switch d.typ {
	case tBool:
		return yesNo(*d.b(c))
	case tNum:
		v := d.n.get(c)
		switch {
		case d.nf&nPercent != 0 && v < 0:
			return strconv.FormatInt(-v, 10) + "%"
		case d.nf&nMemory != 0:
			return strconv.FormatUint(uint64(v), 10)
		case d.nf&nOctal != 0:
			return strconv.FormatInt(v, 8)
		}
		return strconv.FormatInt(v, 10)
	case tEnum:
		return *d.e(c)
	case tString:
		return *d.s(c)
	}
	return d.getFn(c)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Table constructors. A nil ref keeps the value inside the Config (see Value).

func boolD(name, alias string, fl dflag, def bool, ref func(*Config) *bool) *directive {
	return &directive{name: name, alias: alias, flags: fl, typ: tBool, defB: def, b: ref}
}

// numD is a signed numeric directive.
func numD(name, alias string, fl dflag, lo, hi, def int64, nf nflag, ref numRef) *directive {
	return &directive{name: name, alias: alias, flags: fl, typ: tNum, lo: lo, hi: hi, defN: def, nf: nf, n: ref}
}

// unumD is a numeric directive whose C type is unsigned.
func unumD(name, alias string, fl dflag, lo, hi, def int64, nf nflag, ref numRef) *directive {
	d := numD(name, alias, fl, lo, hi, def, nf, ref)
	d.unsigned = true
	return d
}

func enumD(name, alias string, fl dflag, enum []enumVal, def string, ref func(*Config) *string) *directive {
	return &directive{name: name, alias: alias, flags: fl, typ: tEnum, enum: enum, defE: def, e: ref}
}

func strD(name, alias string, fl dflag, nullEmpty bool, def string, valid func(string) string, ref func(*Config) *string) *directive {
	return &directive{name: name, alias: alias, flags: fl, typ: tString, nullEmpty: nullEmpty, defS: def, validS: valid, s: ref}
}

func fInt(f func(*Config) *int) numRef {
	return numRef{
		get: func(c *Config) int64 { return int64(*f(c)) },
		set: func(c *Config, v int64) { *f(c) = int(v) },
	}
}

func fI64(f func(*Config) *int64) numRef {
	return numRef{
		get: func(c *Config) int64 { return *f(c) },
		set: func(c *Config, v int64) { *f(c) = v },
	}
}

func enums(names ...string) []enumVal {
	out := make([]enumVal, len(names))
	for i, n := range names {
		out[i] = enumVal{n, i}
	}
	return out
}

const (
	shutdownSave   = 1
	shutdownNosave = 2
)

// enumName is configEnumGetName: the first name with exactly val, or for bit
// flags the names covering val, "unknown" if none.
func enumName(enum []enumVal, val int, bitflags bool) string {
	var names []string
	unmatched := val
	for _, e := range enum {
		if e.val == val {
			return e.name
		}
		if bitflags && e.val != 0 && e.val == unmatched&e.val {
			names = append(names, e.name)
			unmatched &^= e.val
		}
	}
	if len(names) == 0 || unmatched != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

var (
	shutdownEnum  = []enumVal{{"default", 0}, {"save", shutdownSave}, {"nosave", shutdownNosave}, {"now", 4}, {"force", 8}}
	protectedEnum = enums("no", "yes", "local")
	oomScoreEnum  = []enumVal{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}
)

const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
	ullMax   = -1 // ULLONG_MAX as an int64 bit pattern; only used with unsigned
	ssizeMax = math.MaxInt64
)

// table lists every Redis 7.0.15 directive, in the order of config.c.
var table = []*directive{
	// Bool configs.
	boolD("rdbchecksum", "", immutable, true, func(c *Config) *bool { return &c.RDBChecksum }),
	boolD("daemonize", "", immutable, false, func(c *Config) *bool { return &c.Daemonize }),
	boolD("io-threads-do-reads", "", immutable, false, nil),
	boolD("always-show-logo", "", immutable, false, func(c *Config) *bool { return &c.AlwaysShowLogo }),
	boolD("protected-mode", "", 0, true, func(c *Config) *bool { return &c.ProtectedMode }),
	boolD("rdbcompression", "", 0, true, func(c *Config) *bool { return &c.RDBCompression }),
	boolD("rdb-del-sync-files", "", 0, false, nil),
	boolD("activerehashing", "", 0, true, func(c *Config) *bool { return &c.ActiveRehashing }),
	boolD("stop-writes-on-bgsave-error", "", 0, true, func(c *Config) *bool { return &c.StopWritesOnBgsaveError }),
	boolD("set-proc-title", "", immutable, true, nil),
	boolD("dynamic-hz", "", 0, true, func(c *Config) *bool { return &c.DynamicHz }),
	boolD("lazyfree-lazy-eviction", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyEviction }),
	boolD("lazyfree-lazy-expire", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyExpire }),
	boolD("lazyfree-lazy-server-del", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyServerDel }),
	boolD("lazyfree-lazy-user-del", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyUserDel }),
	boolD("lazyfree-lazy-user-flush", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyUserFlush }),
	boolD("repl-disable-tcp-nodelay", "", 0, false, nil),
	boolD("repl-diskless-sync", "", 0, true, func(c *Config) *bool { return &c.ReplDisklessSync }),
	boolD("aof-rewrite-incremental-fsync", "", 0, true, nil),
	boolD("no-appendfsync-on-rewrite", "", 0, false, func(c *Config) *bool { return &c.NoAppendfsyncOnRewrite }),
	boolD("cluster-require-full-coverage", "", 0, true, func(c *Config) *bool { return &c.ClusterRequireFullCoverage }),
	boolD("rdb-save-incremental-fsync", "", 0, true, nil),
	boolD("aof-load-truncated", "", 0, true, func(c *Config) *bool { return &c.AOFLoadTruncated }),
	boolD("aof-use-rdb-preamble", "", 0, true, func(c *Config) *bool { return &c.AOFUseRDBPreamble }),
	boolD("aof-timestamp-enabled", "", 0, false, func(c *Config) *bool { return &c.AOFTimestampEnabled }),
	boolD("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false, func(c *Config) *bool { return &c.ClusterReplicaNoFailover }),
	// Beyond Redis (docs/failover.md): hidden, so CONFIG GET * lists what Redis 7.0 lists.
	boolD("cluster-replica-wait-safe", "", hidden, false, func(c *Config) *bool { return &c.ClusterReplicaWaitSafe }),
	boolD("replica-lazy-flush", "slave-lazy-flush", 0, false, nil),
	boolD("replica-serve-stale-data", "slave-serve-stale-data", 0, true, func(c *Config) *bool { return &c.ReplicaServeStaleData }),
	boolD("replica-read-only", "slave-read-only", 0, true, func(c *Config) *bool { return &c.ReplicaReadOnly }),
	boolD("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true, func(c *Config) *bool { return &c.ReplicaIgnoreMaxmemory }),
	boolD("jemalloc-bg-thread", "", 0, true, nil),
	boolD("activedefrag", "", 0, false, nil),
	boolD("syslog-enabled", "", immutable, false, nil),
	boolD("cluster-enabled", "", immutable, false, func(c *Config) *bool { return &c.ClusterEnabled }),
	boolD("appendonly", "", denyLoading, false, func(c *Config) *bool { return &c.Appendonly }),
	boolD("cluster-allow-reads-when-down", "", 0, false, func(c *Config) *bool { return &c.ClusterAllowReadsWhenDown }),
	boolD("cluster-allow-pubsubshard-when-down", "", 0, true, func(c *Config) *bool { return &c.ClusterAllowPubsubshardWhenDown }),
	boolD("crash-log-enabled", "", 0, true, nil),
	boolD("crash-memcheck-enabled", "", 0, true, nil),
	boolD("use-exit-on-panic", "", hidden, false, nil),
	boolD("disable-thp", "", immutable, true, nil),
	boolD("cluster-allow-replica-migration", "", 0, true, func(c *Config) *bool { return &c.ClusterAllowReplicaMigration }),
	boolD("replica-announced", "", 0, true, func(c *Config) *bool { return &c.ReplicaAnnounced }),
	boolD("latency-tracking", "", 0, true, nil),
	boolD("aof-disable-auto-gc", "", 0, false, func(c *Config) *bool { return &c.AOFDisableAutoGC }),
	boolD("replica-ignore-disk-write-errors", "", 0, false, nil),

	// String configs.
	strD("aclfile", "", immutable, false, "", nil, func(c *Config) *string { return &c.Aclfile }),
	strD("unixsocket", "", immutable, true, "", nil, func(c *Config) *string { return &c.Unixsocket }),
	strD("pidfile", "", immutable, true, "", nil, func(c *Config) *string { return &c.Pidfile }),
	strD("replica-announce-ip", "slave-announce-ip", 0, true, "", nil, func(c *Config) *string { return &c.ReplicaAnnounceIP }),
	strD("masteruser", "", sensitive, true, "", nil, func(c *Config) *string { return &c.Masteruser }),
	strD("cluster-announce-ip", "", 0, true, "", nil, func(c *Config) *string { return &c.ClusterAnnounceIP }),
	strD("cluster-config-file", "", immutable, false, "nodes.conf", nil, func(c *Config) *string { return &c.ClusterConfigFile }),
	strD("cluster-announce-hostname", "", 0, true, "", validHostname, func(c *Config) *string { return &c.ClusterAnnounceHostname }),
	strD("syslog-ident", "", immutable, false, "redis", nil, nil),
	strD("dbfilename", "", protected, false, "dump.rdb", validDBFilename, func(c *Config) *string { return &c.Dbfilename }),
	strD("appendfilename", "", immutable, false, "appendonly.aof", validAOFFilename, func(c *Config) *string { return &c.Appendfilename }),
	strD("appenddirname", "", immutable, false, "appendonlydir", validAOFDirname, func(c *Config) *string { return &c.Appenddirname }),
	strD("server_cpulist", "", immutable, true, "", nil, nil),
	strD("bio_cpulist", "", immutable, true, "", nil, nil),
	strD("aof_rewrite_cpulist", "", immutable, true, "", nil, nil),
	strD("bgsave_cpulist", "", immutable, true, "", nil, nil),
	strD("ignore-warnings", "", 0, false, "", nil, nil),
	strD("proc-title-template", "", 0, false, "{title} {listen-addr} {server-mode}", validProcTitle, nil),
	strD("bind-source-addr", "", 0, true, "", nil, nil),
	strD("logfile", "", immutable, false, "", nil, func(c *Config) *string { return &c.Logfile }),
	strD("masterauth", "", sensitive, true, "", nil, func(c *Config) *string { return &c.Masterauth }),
	strD("requirepass", "", sensitive, true, "", nil, func(c *Config) *string { return &c.Requirepass }),

	// Enum configs.
	enumD("supervised", "", immutable, enums("upstart", "systemd", "auto", "no"), "no", nil),
	enumD("syslog-facility", "", immutable, enums("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), "local0", nil),
	enumD("repl-diskless-load", "", denyLoading, enums("disabled", "on-empty-db", "swapdb"), "disabled", func(c *Config) *string { return &c.ReplDisklessLoad }),
	enumD("loglevel", "", 0, enums("debug", "verbose", "notice", "warning"), "notice", func(c *Config) *string { return &c.Loglevel }),
	enumD("maxmemory-policy", "", 0, enums("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), "noeviction", func(c *Config) *string { return &c.MaxmemoryPolicy }),
	enumD("appendfsync", "", 0, enums("everysec", "always", "no"), "everysec", func(c *Config) *string { return &c.Appendfsync }),
	enumD("oom-score-adj", "", 0, oomScoreEnum, "no", nil),
	enumD("acl-pubsub-default", "", 0, enums("allchannels", "resetchannels"), "resetchannels", func(c *Config) *string { return &c.AclPubsubDefault }),
	enumD("sanitize-dump-payload", "", 0, enums("no", "yes", "clients"), "no", nil),
	enumD("enable-protected-configs", "", immutable, protectedEnum, "no", nil),
	enumD("enable-debug-command", "", immutable, protectedEnum, "no", nil),
	enumD("enable-module-command", "", immutable, protectedEnum, "no", nil),
	enumD("cluster-preferred-endpoint-type", "", 0, enums("ip", "hostname", "unknown-endpoint"), "ip", func(c *Config) *string { return &c.ClusterPreferredEndpointType }),
	enumD("propagation-error-behavior", "", 0, enums("ignore", "panic", "panic-on-replicas"), "ignore", func(c *Config) *string { return &c.PropagationErrorBehavior }),
	enumD("shutdown-on-sigint", "", multiArg, shutdownEnum, "default", nil),
	enumD("shutdown-on-sigterm", "", multiArg, shutdownEnum, "default", nil),

	// Integer configs.
	numD("databases", "", immutable, 1, intMax, 16, 0, fInt(func(c *Config) *int { return &c.Databases })),
	numD("port", "", 0, 0, 65535, 6379, 0, fInt(func(c *Config) *int { return &c.Port })),
	numD("io-threads", "", immutable, 1, 128, 1, 0, fInt(func(c *Config) *int { return &c.IOThreads })),
	numD("auto-aof-rewrite-percentage", "", 0, 0, intMax, 100, 0, fInt(func(c *Config) *int { return &c.AutoAOFRewritePercentage })),
	numD("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0, intMax, 10, 0, fInt(func(c *Config) *int { return &c.ClusterReplicaValidityFactor })),
	numD("list-max-listpack-size", "list-max-ziplist-size", 0, intMin, intMax, -2, 0, fInt(func(c *Config) *int { return &c.ListMaxListpackSize })),
	numD("tcp-keepalive", "", 0, 0, intMax, 300, 0, fInt(func(c *Config) *int { return &c.TCPKeepalive })),
	numD("cluster-migration-barrier", "", 0, 0, intMax, 1, 0, fInt(func(c *Config) *int { return &c.ClusterMigrationBarrier })),
	numD("active-defrag-cycle-min", "", 0, 1, 99, 1, 0, numRef{}),
	numD("active-defrag-cycle-max", "", 0, 1, 99, 25, 0, numRef{}),
	numD("active-defrag-threshold-lower", "", 0, 0, 1000, 10, 0, numRef{}),
	numD("active-defrag-threshold-upper", "", 0, 0, 1000, 100, 0, numRef{}),
	numD("lfu-log-factor", "", 0, 0, intMax, 10, 0, fInt(func(c *Config) *int { return &c.LFULogFactor })),
	numD("lfu-decay-time", "", 0, 0, intMax, 1, 0, fInt(func(c *Config) *int { return &c.LFUDecayTime })),
	numD("replica-priority", "slave-priority", 0, 0, intMax, 100, 0, fInt(func(c *Config) *int { return &c.ReplicaPriority })),
	numD("repl-diskless-sync-delay", "", 0, 0, intMax, 5, 0, fInt(func(c *Config) *int { return &c.ReplDisklessSyncDelay })),
	numD("maxmemory-samples", "", 0, 1, intMax, 5, 0, fInt(func(c *Config) *int { return &c.MaxmemorySamples })),
	numD("maxmemory-eviction-tenacity", "", 0, 0, 100, 10, 0, fInt(func(c *Config) *int { return &c.MaxmemoryTenacity })),
	numD("timeout", "", 0, 0, intMax, 0, 0, fInt(func(c *Config) *int { return &c.Timeout })),
	numD("replica-announce-port", "slave-announce-port", 0, 0, 65535, 0, 0, fInt(func(c *Config) *int { return &c.ReplicaAnnouncePort })),
	numD("tcp-backlog", "", immutable, 0, intMax, 511, 0, fInt(func(c *Config) *int { return &c.TCPBacklog })),
	numD("cluster-port", "", immutable, 0, 65535, 0, 0, fInt(func(c *Config) *int { return &c.ClusterPort })),
	numD("cluster-announce-bus-port", "", 0, 0, 65535, 0, 0, fInt(func(c *Config) *int { return &c.ClusterAnnounceBusPort })),
	numD("cluster-announce-port", "", 0, 0, 65535, 0, 0, fInt(func(c *Config) *int { return &c.ClusterAnnouncePort })),
	numD("cluster-announce-tls-port", "", 0, 0, 65535, 0, 0, fInt(func(c *Config) *int { return &c.ClusterAnnounceTLSPort })),
	numD("repl-timeout", "", 0, 1, intMax, 60, 0, fInt(func(c *Config) *int { return &c.ReplTimeout })),
	numD("repl-ping-replica-period", "repl-ping-slave-period", 0, 1, intMax, 10, 0, fInt(func(c *Config) *int { return &c.ReplPingReplicaPeriod })),
	numD("list-compress-depth", "", 0, 0, intMax, 0, 0, fInt(func(c *Config) *int { return &c.ListCompressDepth })),
	numD("rdb-key-save-delay", "", hidden, intMin, intMax, 0, 0, fInt(func(c *Config) *int { return &c.RDBKeySaveDelay })),
	numD("key-load-delay", "", hidden, intMin, intMax, 0, 0, fInt(func(c *Config) *int { return &c.KeyLoadDelay })),
	numD("active-expire-effort", "", 0, 1, 10, 1, 0, fInt(func(c *Config) *int { return &c.ActiveExpireEffort })),
	numD("hz", "", 0, 0, intMax, 10, 0, fInt(func(c *Config) *int { return &c.Hz })),
	numD("min-replicas-to-write", "min-slaves-to-write", 0, 0, intMax, 0, 0, fInt(func(c *Config) *int { return &c.MinReplicasToWrite })),
	numD("min-replicas-max-lag", "min-slaves-max-lag", 0, 0, intMax, 10, 0, fInt(func(c *Config) *int { return &c.MinReplicasMaxLag })),
	numD("watchdog-period", "", hidden, 0, intMax, 0, 0, numRef{}),
	numD("shutdown-timeout", "", 0, 0, intMax, 10, 0, fInt(func(c *Config) *int { return &c.ShutdownTimeout })),
	numD("repl-diskless-sync-max-replicas", "", 0, 0, intMax, 0, 0, fInt(func(c *Config) *int { return &c.ReplDisklessSyncMaxReplicas })),

	// Unsigned int configs.
	unumD("maxclients", "", 0, 1, uintMax, 10000, 0, fInt(func(c *Config) *int { return &c.Maxclients })),
	unumD("unixsocketperm", "", immutable, 0, 0o777, 0, nOctal, fInt(func(c *Config) *int { return &c.Unixsocketperm })),
	unumD("socket-mark-id", "", 0, 0, uintMax, 0, 0, numRef{}),

	// Unsigned long configs (bounds compare signed in Redis).
	numD("active-defrag-max-scan-fields", "", 0, 1, longMax, 1000, 0, numRef{}),
	numD("slowlog-max-len", "", 0, 0, longMax, 128, 0, fI64(func(c *Config) *int64 { return &c.SlowlogMaxLen })),
	numD("acllog-max-len", "", 0, 0, longMax, 128, 0, fI64(func(c *Config) *int64 { return &c.AcllogMaxLen })),

	// Long long configs.
	numD("busy-reply-threshold", "lua-time-limit", 0, 0, longMax, 5000, 0, fI64(func(c *Config) *int64 { return &c.BusyReplyThreshold })),
	numD("cluster-node-timeout", "", 0, 0, llongMax, 15000, 0, fI64(func(c *Config) *int64 { return &c.ClusterNodeTimeout })),
	numD("slowlog-log-slower-than", "", 0, -1, llongMax, 10000, 0, fI64(func(c *Config) *int64 { return &c.SlowlogLogSlowerThan })),
	numD("latency-monitor-threshold", "", 0, 0, llongMax, 0, 0, fI64(func(c *Config) *int64 { return &c.LatencyMonitorThreshold })),
	numD("proto-max-bulk-len", "", 0, 1024*1024, longMax, 512*1024*1024, nMemory, fI64(func(c *Config) *int64 { return &c.ProtoMaxBulkLen })),
	numD("stream-node-max-entries", "", 0, 0, llongMax, 100, 0, fI64(func(c *Config) *int64 { return &c.StreamNodeMaxEntries })),
	numD("repl-backlog-size", "", 0, 1, llongMax, 1024*1024, nMemory, fI64(func(c *Config) *int64 { return &c.ReplBacklogSize })),

	// Unsigned long long configs.
	unumD("maxmemory", "", 0, 0, ullMax, 0, nMemory, fI64(func(c *Config) *int64 { return &c.Maxmemory })),
	unumD("cluster-link-sendbuf-limit", "", 0, 0, ullMax, 0, nMemory, fI64(func(c *Config) *int64 { return &c.ClusterLinkSendbufLimit })),

	// Size_t configs.
	unumD("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, 0, longMax, 512, 0, fI64(func(c *Config) *int64 { return &c.HashMaxListpackEntries })),
	unumD("set-max-intset-entries", "", 0, 0, longMax, 512, 0, fI64(func(c *Config) *int64 { return &c.SetMaxIntsetEntries })),
	unumD("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, 0, longMax, 128, 0, fI64(func(c *Config) *int64 { return &c.ZsetMaxListpackEntries })),
	unumD("active-defrag-ignore-bytes", "", 0, 1, llongMax, 100<<20, nMemory, numRef{}),
	unumD("hash-max-listpack-value", "hash-max-ziplist-value", 0, 0, longMax, 64, nMemory, fI64(func(c *Config) *int64 { return &c.HashMaxListpackValue })),
	unumD("stream-node-max-bytes", "", 0, 0, longMax, 4096, nMemory, fI64(func(c *Config) *int64 { return &c.StreamNodeMaxBytes })),
	unumD("zset-max-listpack-value", "zset-max-ziplist-value", 0, 0, longMax, 64, nMemory, fI64(func(c *Config) *int64 { return &c.ZsetMaxListpackValue })),
	unumD("hll-sparse-max-bytes", "", 0, 0, longMax, 3000, nMemory, fI64(func(c *Config) *int64 { return &c.HllSparseMaxBytes })),
	unumD("tracking-table-max-keys", "", 0, 0, longMax, 1000000, 0, fI64(func(c *Config) *int64 { return &c.TrackingTableMaxKeys })),
	unumD("client-query-buffer-limit", "", 0, 1024*1024, longMax, 1024*1024*1024, nMemory, fI64(func(c *Config) *int64 { return &c.ClientQueryBufferLimit })),
	numD("maxmemory-clients", "", 0, -100, ssizeMax, 0, nMemory|nPercent, numRef{}),

	// Other configs.
	numD("repl-backlog-ttl", "", 0, 0, longMax, 60*60, 0, fI64(func(c *Config) *int64 { return &c.ReplBacklogTTL })),
	numD("auto-aof-rewrite-min-size", "", 0, 0, llongMax, 64*1024*1024, nMemory, fI64(func(c *Config) *int64 { return &c.AutoAOFRewriteMinSize })),
	numD("loading-process-events-interval-bytes", "", hidden, 1024, intMax, 1024*1024*2, 0, numRef{}),

	// TLS (the Debian redis-server is built with OpenSSL).
	numD("tls-port", "", 0, 0, 65535, 0, 0, numRef{}),
	numD("tls-session-cache-size", "", 0, 0, intMax, 20*1024, 0, numRef{}),
	numD("tls-session-cache-timeout", "", 0, 0, intMax, 300, 0, numRef{}),
	boolD("tls-cluster", "", 0, false, nil),
	boolD("tls-replication", "", 0, false, nil),
	enumD("tls-auth-clients", "", 0, enums("no", "yes", "optional"), "yes", nil),
	boolD("tls-prefer-server-ciphers", "", 0, false, nil),
	boolD("tls-session-caching", "", 0, true, nil),
	strD("tls-cert-file", "", 0, true, "", nil, nil),
	strD("tls-key-file", "", 0, true, "", nil, nil),
	strD("tls-key-file-pass", "", 0, true, "", nil, nil),
	strD("tls-client-cert-file", "", 0, true, "", nil, nil),
	strD("tls-client-key-file", "", 0, true, "", nil, nil),
	strD("tls-client-key-file-pass", "", 0, true, "", nil, nil),
	strD("tls-dh-params-file", "", 0, true, "", nil, nil),
	strD("tls-ca-cert-file", "", 0, true, "", nil, nil),
	strD("tls-ca-cert-dir", "", 0, true, "", nil, nil),
	strD("tls-protocols", "", 0, true, "", nil, nil),
	strD("tls-ciphers", "", 0, true, "", nil, nil),
	strD("tls-ciphersuites", "", 0, true, "", nil, nil),
}

// byName maps every primary name and alias, lowercase, to its directive.
var byName = func() map[string]*directive {
	table = append(table, specials...)
	m := make(map[string]*directive, 2*len(table))
	for _, d := range table {
		if m[d.name] != nil {
			panic("config: duplicate directive " + d.name)
		}
		d.bindExtra()
		m[d.name] = d
		if d.alias != "" {
			m[d.alias] = d
		}
	}
	return m
}()

func lookup(name string) *directive { return byName[asciiLower(name)] }

// Sensitive reports whether name (any spelling) is a directive whose value
// Redis redacts from the slow log and MONITOR (SENSITIVE_CONFIG).
func Sensitive(name string) bool {
	d := lookup(name)
	return d != nil && d.flags&sensitive != 0
}

// Value returns the CONFIG GET form of one directive, by name or alias, and
// whether Redis 7.0 knows it. It is how the server reads directives that
// have no typed field (activedefrag, lfu-log-factor, tls-*, …).
func (c *Config) Value(name string) (string, bool) {
	d := lookup(name)
	if d == nil {
		return "", false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return d.get(c), true
}
