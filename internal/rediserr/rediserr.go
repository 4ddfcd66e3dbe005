// Package rediserr is the catalog of Redis error texts. Every error reply
// Shoal sends is written here once, in Redis 7.0's exact words, so replies
// match redis-server byte for byte. Texts are the reply without the leading
// '-' and the trailing CRLF. Texts that take arguments are functions.
//
// Families may add their own file to this package (strings.go, cluster.go, …).
package rediserr

import "fmt"

// Generic errors shared by many commands.
const (
	Syntax          = "ERR syntax error"
	WrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	NotInteger      = "ERR value is not an integer or out of range"
	NotFloat        = "ERR value is not a valid float"
	Overflow        = "ERR increment or decrement would overflow"
	NoSuchKey       = "ERR no such key"
	OutOfRange      = "ERR index out of range"
	InvalidDBIndex  = "ERR DB index is out of range"
	NoAuth          = "NOAUTH Authentication required."
	WrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	AuthNotSet      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	OOM             = "OOM command not allowed when used memory > 'maxmemory'."
	ExecAbort       = "EXECABORT Transaction discarded because of previous errors."
	NestedMulti     = "ERR MULTI calls can not be nested"
	ExecWithoutMult = "ERR EXEC without MULTI"
	DiscardNoMulti  = "ERR DISCARD without MULTI"
	WatchInMulti    = "ERR WATCH inside MULTI is not allowed"
	NoProto         = "NOPROTO unsupported protocol version"
	SelectCluster   = "ERR SELECT is not allowed in cluster mode"
	InvalidExpire   = "ERR invalid expire time in 'set' command"
	BitOffset       = "ERR bit offset is not an integer or out of range"
	BitValue        = "ERR bit is not an integer or out of range"
	StringTooLong   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	Timeout         = "ERR timeout is not a float or out of range"
	TimeoutNegative = "ERR timeout is negative"
	// TimeoutNotInteger is getTimeoutFromObjectOrReply's error for a
	// timeout in milliseconds (WAIT, CLIENT PAUSE, XREAD BLOCK).
	TimeoutNotInteger = "ERR timeout is not an integer or out of range"
	// MustBePositive: a count that may not be negative (LPOP/SPOP/ZPOPMIN
	// counts, DEBUG POPULATE).
	MustBePositive = "ERR value is out of range, must be positive"
	// CountOptionPositive: a COUNT option that must be at least 1 (GEOSEARCH,
	// XAUTOCLAIM).
	CountOptionPositive = "ERR COUNT must be > 0"
	SameObject          = "ERR source and destination objects are the same"
)

// UnknownCommand is Redis's reply to a command name it does not know.
// args are the arguments after the name, quoted as Redis quotes them.
func UnknownCommand(name string, args [][]byte) string {
	var quoted []byte
	for _, a := range args {
		if len(quoted) >= 128 {
			break
		}
		if room := 128 - len(quoted); len(a) > room {
			a = a[:room]
		}
		quoted = append(quoted, '\'')
		quoted = append(quoted, a...)
		quoted = append(quoted, '\'', ' ')
	}
	return fmt.Sprintf("ERR unknown command '%.128s', with args beginning with: %s", name, quoted)
}

// WrongArity is the reply to a command called with the wrong number of arguments.
func WrongArity(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)
}

// UnknownSubcommand is the reply to an unknown subcommand of a container command.
func UnknownSubcommand(sub, cmd string) string {
	return fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", sub, cmd)
}

// WrongSubArity is the reply to a subcommand called with the wrong number of arguments.
func WrongSubArity(cmd, sub string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s|%s' command", cmd, sub)
}

// InvalidExpireIn is "invalid expire time in '<cmd>' command".
func InvalidExpireIn(cmd string) string {
	return fmt.Sprintf("ERR invalid expire time in '%s' command", cmd)
}
