package rediserr

// Set errors (t_set.c, Redis 7.0).
const (
	SetNumkeysPositive = "ERR numkeys should be greater than 0"
	SetTooManyKeys     = "ERR Number of keys can't be greater than number of args"
	SetLimitNegative   = "ERR LIMIT can't be negative"
)
