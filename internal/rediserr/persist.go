package rediserr

// Persistence: SAVE, BGSAVE, BGREWRITEAOF and DEBUG RELOAD (Redis 7.0.15
// rdb.c, aof.c, debug.c).
const (
	BgsaveInProgress     = "ERR Background save already in progress"
	BgsaveOtherChild     = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
	AOFRewriteInProgress = "ERR Background append only file rewriting already in progress"
	ReloadOptions        = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
	ReloadFailed         = "ERR Error trying to load the RDB dump"
)
