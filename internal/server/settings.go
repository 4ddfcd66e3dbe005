package server

import (
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// settings is the configuration the server and its commands read while
// serving: one immutable value, rebuilt from the config and published
// atomically (Server.settings) at start and after every CONFIG SET, as
// DESIGN decision 11 asks. Nothing writes a settings value after it is
// published, so readers need no lock: a command takes the one in force when
// it starts (client.call sets Ctx.Settings) and keeps it for its whole run.
type settings struct {
	// cmd is what command handlers see (Ctx.Settings): encoding
	// thresholds, proto-max-bulk-len, maxmemory and its policy.
	cmd command.Settings

	requirepass  string
	aclPubsubAll bool  // acl-pubsub-default allchannels
	acllogMax    int64 // acllog-max-len
	timeout      int64 // timeout, seconds (0: never close idle clients)
	qbufLimit    int64 // client-query-buffer-limit, bytes
	// obuf is client-output-buffer-limit by config.ObufNormal/Replica/Pubsub.
	obuf [3]config.ObufLimit
	// obufMin is the least reply-buffer length at which a normal or
	// pubsub client may be over its limits (maxInt: none set; obuf.go).
	obufMin    int
	maxclients int64
	minLog     int32 // rank (logRank) of the configured loglevel

	trackingMaxKeys int64 // tracking-table-max-keys

	// protectedMode is protected-mode; debugCmd enable-debug-command (guard.go).
	protectedMode bool
	debugCmd      string

	// slowNs, latNs: slowlog-log-slower-than and latency-monitor-threshold
	// in ns (MaxInt64: off), slowMinNs the smaller; slowMaxLen
	// slowlog-max-len (slowlog.go).
	slowNs, latNs, slowMinNs int64
	slowMaxLen               int64
	// latTrack is latency-tracking, latPercentiles
	// latency-tracking-info-percentiles (latency.go).
	latTrack       bool
	latPercentiles []float64
	// clientMemLimit is maxmemory-clients in bytes, 0 when off (clientevict.go).
	clientMemLimit int64
	// maxmemory-policy, -samples, -eviction-tenacity, lfu-log-factor,
	// lfu-decay-time (memory.go).
	evictPolicy   keyspace.Policy
	evictSamples  int
	evictTenacity int
	lfuLogFactor  int
	lfuDecayTime  int
	// replica-ignore-maxmemory: a replica leaves its dataset to its master.
	replicaIgnoreMM bool
}

// conf returns the settings in force.
func (s *Server) conf() *settings { return s.settings.Load() }

// applySettings builds a new settings value from the config and publishes
// it. Runs at start and after every CONFIG SET; settingsMu makes the last
// value published the one built last, so two concurrent CONFIG SETs cannot
// leave an older value in force.
func (s *Server) applySettings() {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	s.cfg.RLock()
	n := &settings{
		cmd: command.Settings{
			Limits: types.Limits{
				HashMaxListpackEntries: s.cfg.HashMaxListpackEntries,
				HashMaxListpackValue:   s.cfg.HashMaxListpackValue,
				SetMaxIntsetEntries:    s.cfg.SetMaxIntsetEntries,
				ZSetMaxListpackEntries: s.cfg.ZsetMaxListpackEntries,
				ZSetMaxListpackValue:   s.cfg.ZsetMaxListpackValue,
				HLLSparseMaxBytes:      s.cfg.HllSparseMaxBytes,
				StreamNodeMaxEntries:   s.cfg.StreamNodeMaxEntries,
				StreamNodeMaxBytes:     s.cfg.StreamNodeMaxBytes,
				ListMaxListpackSize:    int64(s.cfg.ListMaxListpackSize),
				ListPackedThreshold:    s.qlPacked.Load(),
			},
			ProtoMaxBulkLen: s.cfg.ProtoMaxBulkLen,
			Maxmemory:       s.cfg.Maxmemory,
			MaxmemoryPolicy: s.cfg.MaxmemoryPolicy,

			ListMaxListpackSize: s.cfg.ListMaxListpackSize,
			RDBCompression:      s.cfg.RDBCompression,
			SkipChecksum:        s.skipChecksum.Load(),
			LazyfreeLazyExpire:  s.cfg.LazyfreeLazyExpire,
			LazyfreeLazyUserDel: s.cfg.LazyfreeLazyUserDel,

			LazyfreeLazyEviction: s.cfg.LazyfreeLazyEviction,
			Logf:                 s.Logf,
		},
		requirepass:   s.cfg.Requirepass,
		aclPubsubAll:  s.cfg.AclPubsubDefault == "allchannels",
		acllogMax:     s.cfg.AcllogMaxLen,
		timeout:       int64(s.cfg.Timeout),
		qbufLimit:     s.cfg.ClientQueryBufferLimit,
		obuf:          s.cfg.ClientOutputBufferLimit,
		maxclients:    int64(s.cfg.Maxclients),
		protectedMode: s.cfg.ProtectedMode,
		minLog:        loglevelRank(s.cfg.Loglevel),

		trackingMaxKeys: s.cfg.TrackingTableMaxKeys,

		evictPolicy:   keyspace.ParsePolicy(s.cfg.MaxmemoryPolicy),
		evictSamples:  s.cfg.MaxmemorySamples,
		evictTenacity: s.cfg.MaxmemoryTenacity,
		lfuLogFactor:  s.cfg.LFULogFactor,
		lfuDecayTime:  s.cfg.LFUDecayTime,

		replicaIgnoreMM: s.cfg.ReplicaIgnoreMaxmemory,
	}
	n.obufMin = obufMinBytes(&n.obuf)
	n.slowNs, n.latNs, n.slowMinNs = slowThresholds(s.cfg.SlowlogLogSlowerThan, s.cfg.LatencyMonitorThreshold)
	n.slowMaxLen = s.cfg.SlowlogMaxLen
	nke := s.cfg.NotifyFlags()
	n.latPercentiles = s.cfg.LatencyPercentiles()
	s.cfg.RUnlock()
	lt, _ := s.cfg.Value("latency-tracking")
	n.latTrack = lt == "yes"
	mc, _ := s.cfg.Value("maxmemory-clients")
	n.clientMemLimit = clientEvictLimit(mc, n.cmd.Maxmemory)
	s.applyNotifySettings(n, nke)
	n.debugCmd, _ = s.cfg.Value("enable-debug-command")
	s.applyMemorySettings(n)
	s.applyACLSettings(s.settings.Load(), n)
	s.settings.Store(n)
	s.applyWatchdog()
	s.applyProcTitle()
	s.reconfigureCluster() // cluster options reach the core (cmd_cluster.go)
}

// loglevelRank is the logRank of the least important line a loglevel keeps.
func loglevelRank(level string) int32 {
	switch level {
	case "debug":
		return 0
	case "verbose":
		return 1
	case "warning":
		return 3
	case "nothing":
		return 4
	}
	return 2 // notice
}

// The client answers the generic commands' questions about the server
// (command.ServerConfig).
var _ command.ServerConfig = (*client)(nil)

func (c *client) ClusterEnabled() bool { return c.srv.clusterEnabled() }

// MaxmemoryPolicy and Maxmemory answer from the settings the running
// command took when it started.
func (c *client) MaxmemoryPolicy() string { return c.ctx.Conf().MaxmemoryPolicy }

func (c *client) Maxmemory() int64 { return c.ctx.Conf().Maxmemory }

// CanReadAllKeys: the client's ACL user reads every key (SORT's BY/GET).
func (c *client) CanReadAllKeys() bool {
	u := c.user.Load()
	return u == nil || u.Perms().CanReadAllKeys()
}
