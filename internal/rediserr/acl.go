package rediserr

// ACL: the permission checks and the ACL command (Redis 7.0.15 acl.c,
// server.c), in its words. The rule parser's own texts come from
// internal/acl's errors.
const (
	NoPermKeys     = "NOPERM this user has no permissions to access one of the keys used as arguments"
	NoPermChannels = "NOPERM this user has no permissions to access one of the channels used as arguments"
	NoACLFile      = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	ACLGenpassBits = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
	ACLSaveFailed  = "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
)

// NoPermCommand is a command the user may not run.
func NoPermCommand(cmd string) string {
	return "NOPERM this user has no permissions to run the '" + cmd + "' command"
}

// NoPermAtExec is a queued command the ACL rules, changed since it was
// queued, no longer allow at EXEC; reason says which check failed.
func NoPermAtExec(reason string) string {
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
}

// ACLUnknownCategory is ACL CAT with a category Redis does not know
// (cut at 128 bytes, as Redis's %.128s).
func ACLUnknownCategory(name string) string {
	if len(name) > 128 {
		name = name[:128]
	}
	return "ERR Unknown category '" + name + "'"
}

// ACLUserNotFound is ACL DRYRUN for a user that does not exist.
func ACLUserNotFound(user string) string { return "ERR User '" + user + "' not found" }

// ACLCommandNotFound is ACL DRYRUN of a command that does not exist.
func ACLCommandNotFound(cmd string) string { return "ERR Command '" + cmd + "' not found" }
