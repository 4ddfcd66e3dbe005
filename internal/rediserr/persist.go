package rediserr

// Persistence: SAVE, BGSAVE, BGREWRITEAOF and DEBUG RELOAD (Redis 7.0.15
// rdb.c, aof.c, debug.c).
const (
	BgsaveInProgress     = "ERR Background save already in progress"
	BgsaveOtherChild     = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
	AOFRewriteInProgress = "ERR Background append only file rewriting already in progress"
	ReloadOptions        = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
	ReloadFailed         = "ERR Error trying to load the RDB dump"
	// SaveFailed is SAVE when the save failed (shared.err: the reason
	// is in the log).
	SaveFailed = "ERR"
	// BgsaveErr is what writes (and PING) get after a failed RDB save
	// with stop-writes-on-bgsave-error (shared.bgsaveerr).
	BgsaveErr = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
	// Loading is what a command not flagged loading gets while the
	// dataset loads (shared.loadingerr).
	Loading = "LOADING Redis is loading the dataset in memory"
)

// AOFWriteErr is what writes get after an AOF write error, reason being
// strerror of the last write's error (processCommand's MISCONF).
func AOFWriteErr(reason string) string { return "MISCONF Errors writing to the AOF file: " + reason }
