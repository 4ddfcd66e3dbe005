package rediserr

// List command errors (Redis 7.0 t_list.c, object.c).
const (
	LposRankZero       = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	LposCountNegative  = "ERR COUNT can't be negative"
	LposMaxlenNegative = "ERR MAXLEN can't be negative"
	NumkeysNotPositive = "ERR numkeys should be greater than 0"
	CountNotPositive   = "ERR count should be greater than 0"
	UnblockReason      = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	UnblockedByClient  = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
)
