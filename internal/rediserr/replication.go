package rediserr

import "strconv"

// Replication: REPLICAOF, REPLCONF, PSYNC, WAIT and FAILOVER (Redis 7.0.15
// replication.c), in its words.
const (
	ReplicaOfCluster         = "ERR REPLICAOF not allowed in cluster mode."
	ReplicaOfFromReplica     = "ERR Command is not valid when client is a replica."
	InvalidMasterPort        = "ERR Invalid master port"
	ReplconfRange01          = "ERR value is out of range, value must between 0 and 1"
	ReplconfFilterMissing    = "ERR Missing rdb-filter-only values"
	PsyncFailoverReplid      = "ERR PSYNC FAILOVER replid must match my replid."
	PsyncFailoverToMaster    = "ERR PSYNC FAILOVER can't be sent to a master."
	SyncWhileFailingOver     = "NOMASTERLINK Can't SYNC while failing over"
	SyncNoMasterLink         = "NOMASTERLINK Can't SYNC while not connected with my master"
	FilteredReplicaNeedsEOF  = "ERR Filtered replica requires EOF capability"
	WaitOnReplica            = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."
	FailoverCluster          = "ERR FAILOVER not allowed in cluster mode."
	NoFailover               = "ERR No failover in progress."
	FailoverTimeoutPositive  = "ERR FAILOVER timeout must be greater than 0"
	FailoverOnReplica        = "ERR FAILOVER is not valid when server is a replica."
	FailoverNoReplicas       = "ERR FAILOVER requires connected replicas."
	FailoverForceNeedsTarget = "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
	FailoverTargetNotReplica = "ERR FAILOVER target HOST and PORT is not a replica."
	FailoverTargetOffline    = "ERR FAILOVER target replica is not online."
	FailoverInProgress       = "ERR FAILOVER already in progress."
	// MasterDown: a command without the stale flag on a replica whose
	// link is down, with replica-serve-stale-data no (shared.masterdownerr).
	MasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	// NoReplicas: a write while min-replicas-to-write is not met.
	NoReplicas = "NOREPLICAS Not enough good replicas to write."
	// ReadOnlyReplica: a write to a replica with replica-read-only yes.
	ReadOnlyReplica = "READONLY You can't write against a read only replica."
)

// ReplconfIPTooLong is REPLCONF ip-address with an address longer than
// NET_HOST_STR_LEN.
func ReplconfIPTooLong(n int) string {
	return "ERR REPLCONF ip-address provided by replica instance is too long: " + strconv.Itoa(n) + " bytes"
}

// ReplconfFilterOption is REPLCONF rdb-filter-only with an unknown filter.
func ReplconfFilterOption(f string) string { return "ERR Unsupported rdb-filter-only option: " + f }

// ReplconfOption is REPLCONF with an option Redis does not know.
func ReplconfOption(o string) string { return "ERR Unrecognized REPLCONF option: " + o }
