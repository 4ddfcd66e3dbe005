package rediserr

// DUMP / RESTORE (Redis 7.0 cluster.c restoreCommand).
const (
	BusyKey          = "BUSYKEY Target key name already exists."
	InvalidTTL       = "ERR Invalid TTL value, must be >= 0"
	DumpVersionOrCRC = "ERR DUMP payload version or checksum are wrong"
	BadDataFormat    = "ERR Bad data format"
	InvalidIdletime  = "ERR Invalid IDLETIME value, must be >= 0"
	InvalidFreq      = "ERR Invalid FREQ value, must be >= 0 and <= 255"
)
