package rediserr

// Replies of MIGRATE (Redis 7.0.15 migrateCommand / migrateGetSocket).
const (
	MigrateKeysNeedEmpty = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
	MigrateConnect       = "IOERR error or timeout connecting to the client"
	MigrateIORead        = "IOERR error or timeout reading to target instance"
	MigrateIOWrite       = "IOERR error or timeout writing to target instance"
)

// MigrateTarget is MIGRATE's reply when the target answered an error (its
// text without the leading '-').
func MigrateTarget(text string) string {
	return "ERR Target instance replied with error: " + text
}
