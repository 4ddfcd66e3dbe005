package rediserr

// Errors of the generic key commands (EXPIRE family, SCAN, OBJECT, MOVE,
// COPY, SWAPDB), in Redis 7.0's words.
const (
	ExpireNXCombo   = "ERR NX and XX, GT or LT options at the same time are not compatible"
	ExpireGTLT      = "ERR GT and LT options at the same time are not compatible"
	InvalidCursor   = "ERR invalid cursor"
	IntOutOfRange   = "ERR value is out of range, value must between -2147483648 and 2147483647"
	LFUNotSelected  = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	LFUSelected     = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	MoveCluster     = "ERR MOVE is not allowed in cluster mode"
	CopyCluster     = "ERR Copying to another database is not allowed in cluster mode"
	SwapDBCluster   = "ERR SWAPDB is not allowed in cluster mode"
	SwapDBFirst     = "ERR invalid first DB index"
	SwapDBSecond    = "ERR invalid second DB index"
	CopyUnsupported = "ERR COPY of this value type is not supported"
)

// UnsupportedOption is the EXPIRE family's reply to an unknown flag.
func UnsupportedOption(opt []byte) string {
	return "ERR Unsupported option " + string(opt)
}
