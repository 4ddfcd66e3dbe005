package rediserr

// Errors of the HyperLogLog commands (hyperloglog.c), Redis 7.0.
const (
	HLLWrongType = "WRONGTYPE Key is not a valid HyperLogLog string value."
	HLLCorrupt   = "INVALIDOBJ Corrupted HLL object detected"
	HLLNoKey     = "ERR The specified key does not exist"
	HLLNotSparse = "ERR HLL encoding is not sparse"
)

// HLLUnknownDebug is PFDEBUG's reply to an unknown subcommand.
func HLLUnknownDebug(sub string) string { return "ERR Unknown PFDEBUG subcommand '" + sub + "'" }
