package rediserr

import "fmt"

// Errors of the connection and server commands (CLIENT, COMMAND, CONFIG,
// DEBUG, SHUTDOWN, MONITOR), in Redis 7.0.15's words.
const (
	NoSuchClient           = "ERR No such client"
	InvalidClientID        = "ERR Invalid client ID"
	ClientIDPositive       = "ERR client-id should be greater than 0"
	ClientNameChars        = "ERR Client names cannot contain spaces, newlines or special characters."
	PauseMode              = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	InvalidCommand         = "ERR Invalid command specified"
	InvalidCommandArgs     = "ERR Invalid number of arguments specified for command"
	InvalidKeyArgs         = "ERR Invalid arguments specified for command"
	NoKeyArguments         = "ERR The command has no key arguments"
	NoConfigFile           = "ERR The server is running without a config file"
	NoShutdown             = "ERR No shutdown in progress."
	ShutdownFailed         = "ERR Errors trying to SHUTDOWN. Check logs."
	MaxClients             = "ERR max number of clients reached"
	DebugMemoryValue       = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
	DebugClusterOnly       = "ERR Debug option only available for cluster mode enabled setup!"
	DebugResp2             = "ERR RESP2 is not supported by this command"
	DebugProtocolType      = "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
	ClientEvictionOff      = "ERR maxmemory-clients is disabled."
	ProtoVersion           = "ERR Protocol version is not an integer or out of range"
	HelloNoAuth            = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	SlowlogCount           = "ERR count should be greater than or equal to -1"
	SsubscribeDenyBlocking = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"
	NotInTransaction       = "ERR Command not allowed inside a transaction"
	MonitorDenyBlocking    = "ERR MONITOR isn't allowed for DENY BLOCKING client"
	NoSuchKeyDebug         = NoSuchKey
)

// UnknownClientType is CLIENT LIST/KILL TYPE with a type Redis does not know.
func UnknownClientType(t string) string {
	return fmt.Sprintf("ERR Unknown client type '%s'", t)
}

// NoSuchUser is CLIENT KILL USER with an unknown user.
func NoSuchUser(u string) string { return fmt.Sprintf("ERR No such user '%s'", u) }

// UnrecognizedOption is CLIENT SETINFO with an attribute other than LIB-NAME/LIB-VER (Redis 7.2).
func UnrecognizedOption(o string) string { return fmt.Sprintf("ERR Unrecognized option '%s'", o) }

// LibComponentChars is CLIENT SETINFO with a value holding spaces or special characters (Redis 7.2).
func LibComponentChars(attr string) string {
	return fmt.Sprintf("ERR %s cannot contain spaces, newlines or special characters.", attr)
}

// HelloOption is HELLO with an option it does not know.
func HelloOption(o string) string { return "ERR Syntax error in HELLO option '" + o + "'" }

// SubscribeContext is a command other than the (P|S)SUBSCRIBE family,
// PING, QUIT and RESET from a RESP2 client in subscribed mode.
func SubscribeContext(cmd string) string {
	return "ERR Can't execute '" + cmd + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// NotEncodedAs is DEBUG LISTPACK, QUICKLIST and the like on a key whose
// value is not in that encoding.
func NotEncodedAs(kind string) string { return "ERR Not a " + kind + " encoded object." }

// ConfigRewriteForceAll is DEBUG CONFIG-REWRITE-FORCE-ALL failing to
// write the file.
func ConfigRewriteForceAll(reason string) string {
	return "ERR CONFIG-REWRITE-FORCE-ALL failed: " + reason
}

// DebugUnknown is DEBUG with an unknown subcommand or the wrong number of arguments.
func DebugUnknown(sub string) string {
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try DEBUG HELP.", sub)
}

// RewriteFailed is CONFIG REWRITE failing to write the file.
func RewriteFailed(reason string) string { return "ERR Rewriting config file: " + reason }

// LatencyNoSamples is LATENCY GRAPH for an event with no samples.
func LatencyNoSamples(event string) string {
	return fmt.Sprintf("ERR No samples available for event '%s'", event)
}
