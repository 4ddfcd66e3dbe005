package rediserr

// Scripting: EVAL, EVALSHA, FCALL, SCRIPT and FUNCTION (Redis 7.0.15
// eval.c, functions.c, script.c), in its words. The Lua engine's own
// texts (compile and runtime errors) live in internal/script.
const (
	BusyScript          = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	BusyFunction        = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	FcallNumKeys        = "ERR Bad number of keys provided"
	NumKeysTooMany      = "ERR Number of keys can't be greater than number of args"
	NumKeysNegative     = "ERR Number of keys can't be negative"
	NoScript            = "NOSCRIPT No matching script. Please use EVAL."
	EvalshaDebug        = "ERR Please use EVAL instead of EVALSHA for debugging"
	FunctionNotFound    = "ERR Function not found"
	ScriptFlushOption   = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	FunctionFlushOption = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
	FunctionCodeMissing = "ERR Function code is missing"
	LibraryNotFound     = "ERR Library not found"
	RestorePolicy       = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
	LibraryNameMissing  = "ERR library name argument was not given"
)

// FunctionLoadOption is FUNCTION LOAD with an option other than REPLACE.
func FunctionLoadOption(o string) string { return "ERR Unknown option given: " + o }

// FunctionListArg is FUNCTION LIST with an argument it does not know.
func FunctionListArg(a string) string { return "ERR Unknown argument " + a }
