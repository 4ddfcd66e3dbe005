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
	StreamSetIDSmallMaxDel = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	StreamSetIDSmall       = "ERR The ID specified in XSETID is smaller than the target stream top item"
	StreamSetIDEntries     = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	StreamEntriesAddedNeg  = "ERR entries_added must be positive"
	StreamMissingGroup     = "ERR Missing GROUP option for XREADGROUP"
	StreamDollarInRG       = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	StreamUnblockedKeyGone = "UNBLOCKED the stream key no longer exists"
	StreamGroupGoneBlocked = "NOGROUP the consumer group this client was blocked on no longer exists"
	StreamEntriesReadNeg   = "ERR value for ENTRIESREAD must be positive or -1"
	StreamXgroupNoKey      = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	StreamBusyGroup        = "BUSYGROUP Consumer Group name already exists"
	StreamXclaimMinIdle    = "ERR Invalid min-idle-time argument for XCLAIM"
	StreamXclaimIdle       = "ERR Invalid IDLE option argument for XCLAIM"
	StreamXclaimTime       = "ERR Invalid TIME option argument for XCLAIM"
	StreamXclaimRetryCount = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	StreamXautoclaimIdle   = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
)

// StreamXclaimOption is XCLAIM with an option it does not know (as a C
// string, cut at a NUL).
func StreamXclaimOption(o string) string { return "ERR Unrecognized XCLAIM option '" + o + "'" }

// StreamNoGroup is a consumer group command on a missing key or group.
func StreamNoGroup(key, group string) string {
	return "NOGROUP No such key '" + key + "' or consumer group '" + group + "'"
}

// StreamNoGroupForKey is XGROUP/XINFO on a missing group of a key.
func StreamNoGroupForKey(group, key string) string {
	return "NOGROUP No such consumer group '" + group + "' for key name '" + key + "'"
}

// StreamNoGroupRG is XREADGROUP on a missing key or group.
func StreamNoGroupRG(key, group string) string {
	return "NOGROUP No such key '" + key + "' or consumer group '" + group + "' in XREADGROUP with GROUP option"
}

// StreamBlockInScript is XREAD/XREADGROUP with BLOCK from a script.
func StreamBlockInScript(cmd string) string {
	return "ERR " + cmd + " command is not allowed with BLOCK option from scripts"
}
