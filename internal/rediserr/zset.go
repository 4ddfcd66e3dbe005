package rediserr

import "fmt"

// Sorted-set errors (t_zset.c, Redis 7.0).
const (
	ZAddXXNX          = "ERR XX and NX options at the same time are not compatible"
	ZAddGTLTNX        = "ERR GT, LT, and/or NX options at the same time are not compatible"
	ZAddIncrPair      = "ERR INCR option supports a single increment-element pair"
	ZScoreNaN         = "ERR resulting score is not a number (NaN)"
	ZMinMaxNotFloat   = "ERR min or max is not a float"
	ZMinMaxNotLex     = "ERR min or max not valid string range item"
	ZLimitNeedsBy     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	ZWithscoresByLex  = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	ZWeightNotFloat   = "ERR weight value is not a float"
	ZLimitNegative    = "ERR LIMIT can't be negative"
	NumkeysPositive   = "ERR numkeys should be greater than 0"
	CountPositive     = "ERR count should be greater than 0"
	ValueOutOfRange   = "ERR value is out of range"
	ZRandCountOutside = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// AtLeastOneKey is "at least 1 input key is needed for '<cmd>' command".
func AtLeastOneKey(cmd string) string {
	return fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", cmd)
}
