package rediserr

// Hash errors (t_hash.c, Redis 7.0).
const (
	HashNotInteger    = "ERR hash value is not an integer"
	HashNotFloat      = "ERR hash value is not a float"
	HashIncrNaNInf    = "ERR increment would produce NaN or Infinity"
	HashValueNaNInf   = "ERR value is NaN or Infinity"
	HashValueRange    = "ERR value is out of range"
	HashCountRange    = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	HashInvalidCursor = "ERR invalid cursor"
)
