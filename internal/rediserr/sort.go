package rediserr

// SORT errors (sort.c, Redis 7.0).
const (
	SortScores     = "ERR One or more scores can't be converted into double"
	SortByCluster  = "ERR BY option of SORT denied in Cluster mode."
	SortGetCluster = "ERR GET option of SORT denied in Cluster mode."
	SortByACL      = "ERR BY option of SORT denied due to insufficient ACL permissions."
	SortGetACL     = "ERR GET option of SORT denied due to insufficient ACL permissions."
)
