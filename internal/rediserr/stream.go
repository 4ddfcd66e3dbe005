package rediserr

// Errors of the stream commands (t_stream.c), Redis 7.0.
const (
	StreamInvalidID        = "ERR Invalid stream ID specified as stream command argument"
	StreamIDTooSmall       = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	StreamIDZero           = "ERR The ID specified in XADD must be greater than 0-0"
	StreamExhausted        = "ERR The stream has exhausted the last possible ID, unable to add more items"
	StreamTooLarge         = "ERR Elements are too large to be stored"
	StreamBothStrategies   = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	StreamMaxLenNegative   = "ERR The MAXLEN argument must be >= 0."
	StreamLimitNegative    = "ERR The LIMIT argument must be >= 0."
	StreamLimitNoStrategy  = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	StreamXTrimNoStrategy  = "ERR syntax error, XTRIM must be called with a trimming strategy"
	StreamLimitNoApprox    = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	StreamBadStart         = "ERR invalid start ID for the interval"
	StreamBadEnd           = "ERR invalid end ID for the interval"
	StreamUnbalanced       = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	StreamGroupOnlyRG      = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	StreamNoackOnlyRG      = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	StreamGtOnlyRG         = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	StreamTimeoutNotInt    = "ERR timeout is not an integer or out of range"
	StreamSetIDSmallMaxDel = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	StreamSetIDSmall       = "ERR The ID specified in XSETID is smaller than the target stream top item"
	StreamSetIDEntries     = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	StreamEntriesAddedNeg  = "ERR entries_added must be positive"
)
