package config

import (
	"os"
	"sync"
)

// Version is the Redis version Shoal claims; it appears in fatal config
// errors exactly as redis-server prints its own.
const Version = "7.0.15"

// SavePoint is one "save <seconds> <changes>" rule: snapshot when at least
// Changes writes happened within Seconds.
type SavePoint struct {
	Seconds int64
	Changes int
}

// ObufLimit is one class of client-output-buffer-limit. Zero means no limit.
type ObufLimit struct {
	HardBytes   uint64
	SoftBytes   uint64
	SoftSeconds int64
}

// Output buffer classes, the index into Config.ClientOutputBufferLimit.
const (
	ObufNormal = iota
	ObufReplica
	ObufPubsub
)

// Config is a node's configuration. Fields Shoal acts on are typed; every
// other Redis 7.0 directive is kept too (see Value) so CONFIG GET/SET/REWRITE
// behave as in Redis. After Load, hold RLock while reading fields from more
// than one goroutine; Set takes the write lock itself.
//
// Units: seconds unless a field says otherwise; memory values are bytes.
type Config struct {
	mu sync.RWMutex // guards all fields after Load; use Lock/RLock methods below

	// Network.
	Port           int      // port; 0 = no TCP listener
	Bind           []string // bind; default "*", "-::*"
	ProtectedMode  bool     // protected-mode
	AlwaysShowLogo bool     // always-show-logo
	TCPBacklog     int      // tcp-backlog
	Timeout        int      // timeout: idle client timeout, 0 = off
	TCPKeepalive   int      // tcp-keepalive
	Unixsocket     string   // unixsocket; "" = none
	Unixsocketperm int      // unixsocketperm (octal in files and CONFIG GET)
	Maxclients     int      // maxclients

	// General.
	Dir             string // dir, absolute
	Logfile         string // logfile; "" = stdout
	Loglevel        string // loglevel: debug, verbose, notice, warning
	Pidfile         string // pidfile; "" = none
	Daemonize       bool   // daemonize; always false (Shoal refuses yes)
	Databases       int    // databases
	Hz              int    // hz, clamped to 1..500 as Redis does
	DynamicHz       bool   // dynamic-hz
	IOThreads       int    // io-threads
	ShutdownTimeout int    // shutdown-timeout

	// Security.
	Requirepass string // requirepass; "" = none
	Masterauth  string // masterauth
	Masteruser  string // masteruser
	Aclfile     string // aclfile
	// AclPubsubDefault is acl-pubsub-default: "resetchannels" or
	// "allchannels" (the channels a new ACL user starts with).
	AclPubsubDefault string
	AcllogMaxLen     int64 // acllog-max-len, entries

	// Snapshotting.
	Save                    []SavePoint // save; empty = no snapshots
	Dbfilename              string      // dbfilename
	RDBCompression          bool        // rdbcompression
	RDBChecksum             bool        // rdbchecksum
	StopWritesOnBgsaveError bool        // stop-writes-on-bgsave-error

	// Append only file.
	Appendonly               bool   // appendonly
	Appendfilename           string // appendfilename
	Appenddirname            string // appenddirname
	Appendfsync              string // appendfsync: always, everysec, no
	NoAppendfsyncOnRewrite   bool   // no-appendfsync-on-rewrite
	AutoAOFRewritePercentage int    // auto-aof-rewrite-percentage
	AutoAOFRewriteMinSize    int64  // auto-aof-rewrite-min-size, bytes
	AOFLoadTruncated         bool   // aof-load-truncated
	AOFUseRDBPreamble        bool   // aof-use-rdb-preamble
	AOFTimestampEnabled      bool   // aof-timestamp-enabled
	AOFDisableAutoGC         bool   // aof-disable-auto-gc: keep history AOF files
	KeyLoadDelay             int    // key-load-delay: µs slept per command loaded (testing)
	RDBKeySaveDelay          int    // rdb-key-save-delay: µs slept per key saved (testing)

	// Memory and limits.
	Maxmemory               int64        // maxmemory, bytes, 0 = none; read as uint64 (Redis stores it unsigned)
	MaxmemoryPolicy         string       // maxmemory-policy
	MaxmemorySamples        int          // maxmemory-samples
	MaxmemoryTenacity       int          // maxmemory-eviction-tenacity, 0..100
	LFULogFactor            int          // lfu-log-factor
	LFUDecayTime            int          // lfu-decay-time, minutes
	ReplicaIgnoreMaxmemory  bool         // replica-ignore-maxmemory
	ProtoMaxBulkLen         int64        // proto-max-bulk-len, bytes
	ClientQueryBufferLimit  int64        // client-query-buffer-limit, bytes
	ClientOutputBufferLimit [3]ObufLimit // client-output-buffer-limit, by ObufNormal/ObufReplica/ObufPubsub
	BusyReplyThreshold      int64        // busy-reply-threshold (lua-time-limit), milliseconds

	// Replication.
	ReplicaOfHost               string // replicaof host; "" = this node is a master
	ReplicaOfPort               int    // replicaof port
	ReplicaServeStaleData       bool   // replica-serve-stale-data
	ReplicaReadOnly             bool   // replica-read-only
	ReplicaPriority             int    // replica-priority
	ReplicaAnnounced            bool   // replica-announced
	ReplicaAnnounceIP           string // replica-announce-ip
	ReplicaAnnouncePort         int    // replica-announce-port
	ReplBacklogSize             int64  // repl-backlog-size, bytes
	ReplBacklogTTL              int64  // repl-backlog-ttl
	ReplTimeout                 int    // repl-timeout
	ReplPingReplicaPeriod       int    // repl-ping-replica-period
	ReplDisklessSync            bool   // repl-diskless-sync
	ReplDisklessSyncDelay       int    // repl-diskless-sync-delay
	ReplDisklessSyncMaxReplicas int    // repl-diskless-sync-max-replicas
	ReplDisklessLoad            string // repl-diskless-load
	PropagationErrorBehavior    string // propagation-error-behavior: ignore, panic, panic-on-replicas
	MinReplicasToWrite          int    // min-replicas-to-write
	MinReplicasMaxLag           int    // min-replicas-max-lag

	// Cluster: every cluster-* directive of Redis 7.0.
	ClusterEnabled                  bool   // cluster-enabled
	ClusterConfigFile               string // cluster-config-file
	ClusterNodeTimeout              int64  // cluster-node-timeout, milliseconds
	ClusterPort                     int    // cluster-port; 0 = port+10000
	ClusterAnnounceIP               string // cluster-announce-ip
	ClusterAnnouncePort             int    // cluster-announce-port
	ClusterAnnounceBusPort          int    // cluster-announce-bus-port
	ClusterAnnounceTLSPort          int    // cluster-announce-tls-port
	ClusterAnnounceHostname         string // cluster-announce-hostname
	ClusterRequireFullCoverage      bool   // cluster-require-full-coverage
	ClusterAllowReadsWhenDown       bool   // cluster-allow-reads-when-down
	ClusterReplicaValidityFactor    int    // cluster-replica-validity-factor (cluster-slave-validity-factor)
	ClusterMigrationBarrier         int    // cluster-migration-barrier
	ClusterAllowReplicaMigration    bool   // cluster-allow-replica-migration
	ClusterReplicaNoFailover        bool   // cluster-replica-no-failover (cluster-slave-no-failover)
	ClusterReplicaWaitSafe          bool   // cluster-replica-wait-safe (beyond Redis, hidden)
	ClusterAllowPubsubshardWhenDown bool   // cluster-allow-pubsubshard-when-down
	ClusterLinkSendbufLimit         int64  // cluster-link-sendbuf-limit, bytes, 0 = none
	ClusterPreferredEndpointType    string // cluster-preferred-endpoint-type: ip, hostname, unknown-endpoint

	// Collection encodings.
	HashMaxListpackEntries int64 // hash-max-listpack-entries (hash-max-ziplist-entries)
	HashMaxListpackValue   int64 // hash-max-listpack-value (hash-max-ziplist-value), bytes
	ListMaxListpackSize    int   // list-max-listpack-size (list-max-ziplist-size); <0 = size class
	ListCompressDepth      int   // list-compress-depth
	SetMaxIntsetEntries    int64 // set-max-intset-entries (7.0 has no set listpack)
	ZsetMaxListpackEntries int64 // zset-max-listpack-entries (zset-max-ziplist-entries)
	ZsetMaxListpackValue   int64 // zset-max-listpack-value (zset-max-ziplist-value), bytes
	StreamNodeMaxBytes     int64 // stream-node-max-bytes
	StreamNodeMaxEntries   int64 // stream-node-max-entries
	HllSparseMaxBytes      int64 // hll-sparse-max-bytes
	TrackingTableMaxKeys   int64 // tracking-table-max-keys (0: no limit)

	// Keyspace.
	ActiveRehashing       bool   // activerehashing
	ActiveExpireEffort    int    // active-expire-effort, 1..10
	NotifyKeyspaceEvents  string // notify-keyspace-events, canonical ("AKE")
	LazyfreeLazyEviction  bool   // lazyfree-lazy-eviction
	LazyfreeLazyExpire    bool   // lazyfree-lazy-expire
	LazyfreeLazyServerDel bool   // lazyfree-lazy-server-del
	LazyfreeLazyUserDel   bool   // lazyfree-lazy-user-del
	LazyfreeLazyUserFlush bool   // lazyfree-lazy-user-flush

	// Diagnostics.
	SlowlogLogSlowerThan    int64 // slowlog-log-slower-than, microseconds, -1 = off
	SlowlogMaxLen           int64 // slowlog-max-len
	LatencyMonitorThreshold int64 // latency-monitor-threshold, milliseconds

	// Lines that are not plain directives, kept in file order.
	RenameCommands []RenameCommand   // rename-command old new ("" new = remove)
	Users          [][]string        // user <name> <rules...>, as written
	LoadModules    [][]string        // loadmodule <path> [args...], as written
	ModuleConfigs  map[string]string // module.name value

	// Everything else Redis 7.0 knows, by primary name.
	xb map[string]*bool
	xn map[string]*int64
	xs map[string]*string

	// Special values without typed fields.
	oomScoreAdjValues  [3]int
	latencyPercentiles []float64
	nke                int // notify-keyspace-events flags

	file     string
	onSet    []func(name string)
	fsChecks bool // touch the file system (dir, logfile, include); off in fuzzing
	inFile   bool // Redis's reading_config_file: first save line resets defaults
	saveSeen bool

	loading func() bool // SetLoadingCheck
}

// Default returns a Config holding Redis 7.0's defaults. Dir is the current
// working directory.
func Default() *Config {
	c := &Config{
		xb:            map[string]*bool{},
		xn:            map[string]*int64{},
		xs:            map[string]*string{},
		ModuleConfigs: map[string]string{},
		fsChecks:      true,
	}
	for _, d := range table {
		d.init(c)
	}
	if wd, err := os.Getwd(); err == nil {
		c.Dir = wd
	}
	return c
}

// File is the absolute path of the config file Load read, "" if none.
func (c *Config) File() string { return c.file }

// SetLoadingCheck gives Set a way to know a dataset is being loaded: then
// directives flagged deny-loading (appendonly, dir, repl-diskless-load)
// are refused with -LOADING, as in Redis. Call it before serving.
func (c *Config) SetLoadingCheck(fn func() bool) { c.loading = fn }

// OnSet registers fn to run after every successful Set, once per directive
// set, with its primary name. fn runs without the lock held.
func (c *Config) OnSet(fn func(name string)) {
	c.mu.Lock()
	c.onSet = append(c.onSet, fn)
	c.mu.Unlock()
}

// RLock locks the config for reading.
func (c *Config) RLock() { c.mu.RLock() }

// RUnlock undoes RLock.
func (c *Config) RUnlock() { c.mu.RUnlock() }

// Lock locks the config for writing.
func (c *Config) Lock() { c.mu.Lock() }

// Unlock undoes Lock.
func (c *Config) Unlock() { c.mu.Unlock() }
