package command

import "github.com/shoal-db/shoal/internal/types"

// Settings are the configuration values command handlers read. A Settings
// is immutable once published: the server builds a new one on every CONFIG
// SET, publishes it atomically, and sets Ctx.Settings to the one in force
// when each command starts (one pointer load per command), so a handler
// sees one consistent value for its whole run and nothing is written while
// it reads.
type Settings struct {
	// Limits are the encoding thresholds handed to the types package.
	Limits types.Limits
	// ProtoMaxBulkLen is the largest string a command may build (SETRANGE,
	// APPEND, SETBIT offsets, LCS scratch), Redis's proto-max-bulk-len.
	ProtoMaxBulkLen int64
	// Maxmemory (bytes, 0: no limit) and MaxmemoryPolicy decide shared
	// integers and OBJECT FREQ; handlers ask through ServerConfig, which
	// the server answers from these.
	Maxmemory       int64
	MaxmemoryPolicy string
	// ListMaxListpackSize (list-max-listpack-size) cuts lists into
	// quicklist nodes in DUMP payloads and RDB files; RDBCompression
	// (rdbcompression) LZF-compresses their strings.
	ListMaxListpackSize int
	RDBCompression      bool
	// SkipChecksum is DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE accepts a
	// payload whose CRC64 does not match.
	SkipChecksum bool
	// LazyfreeLazyExpire and LazyfreeLazyUserDel make deletions by expiry
	// and by DEL-like commands propagate as UNLINK instead of DEL.
	LazyfreeLazyExpire  bool
	LazyfreeLazyUserDel bool
	// LazyfreeLazyEviction makes evictions propagate as UNLINK.
	LazyfreeLazyEviction bool
	// NotifyFlags is notify-keyspace-events as Redis's NOTIFY_* bits
	// (notify.go), 0 when off; Notifier publishes an event (set whenever
	// NotifyFlags has K or E).
	NotifyFlags int
	Notifier    func(db int, event string, key []byte)
	// Logf writes a line to the server's log at a level ('.', '-', '*',
	// '#': debug, verbose, notice, warning); nil when there is no server
	// (unit tests): use Ctx.Logf.
	Logf func(level byte, format string, args ...any)
}

// DefaultSettings returns Redis 7.0's defaults.
func DefaultSettings() *Settings {
	return &Settings{Limits: *types.DefaultLimits(), ProtoMaxBulkLen: 512 << 20, MaxmemoryPolicy: "noeviction",
		ListMaxListpackSize: -2, RDBCompression: true}
}

// defaults is what Conf returns when no dispatcher set Ctx.Settings (unit
// tests, tools). Never modified.
var defaults = DefaultSettings()

// Conf returns the settings in force for this command: Ctx.Settings, or
// Redis's defaults when it is nil. Do not modify the result.
func (c *Ctx) Conf() *Settings {
	if c.Settings != nil {
		return c.Settings
	}
	return defaults
}

// Logf writes a line to the server's log, if there is one.
func (c *Ctx) Logf(level byte, format string, args ...any) {
	if lf := c.Conf().Logf; lf != nil {
		lf(level, format, args...)
	}
}

// Limits returns the encoding thresholds in force for this command, to pass
// to types methods that may convert an encoding (Hash.Set, Set.Add,
// ZSet.Add, NewZSet, …). Do not modify the result.
func (c *Ctx) Limits() *types.Limits { return &c.Conf().Limits }
