package rediserr

// Errors of the string and bitmap commands (t_string.c, bitops.c), Redis 7.0.
const (
	DecrOverflow       = "ERR decrement would overflow"
	IncrNaNOrInf       = "ERR increment would produce NaN or Infinity"
	OffsetOutOfRange   = "ERR offset is out of range"
	BitArgument        = "ERR The bit argument must be 1 or 0."
	BitopNotSingle     = "ERR BITOP NOT must be called with a single source key."
	BitfieldType       = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	BitfieldOverflow   = "ERR Invalid OVERFLOW type specified"
	BitfieldROWrite    = "ERR BITFIELD_RO only supports the GET subcommand"
	LCSWrongType       = "ERR The specified keys must contain string values"
	LCSIdxAndLen       = "ERR If you want both the length and indexes, please just use IDX."
	LCSTooLong         = "ERR String too long for LCS"
	LCSExceedsBulkLen  = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
	LCSAllocFailed     = "ERR Insufficient memory, failed allocating transient memory for LCS"
	InvalidExpireSetex = "ERR invalid expire time in 'setex' command"
	InvalidExpirePsetx = "ERR invalid expire time in 'psetex' command"
	InvalidExpireGetex = "ERR invalid expire time in 'getex' command"
)
