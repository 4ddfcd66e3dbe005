// Package config turns a redis.conf file plus redis-server style command-line
// overrides into a typed Config, and implements CONFIG GET, CONFIG SET and
// CONFIG REWRITE over it, the way redis-server 7.0.15 does.
//
// The heart of the package is one table of directives (registry.go): one
// entry per Redis 7.0 directive, with its alias (slaveof/replicaof,
// hash-max-ziplist-entries/hash-max-listpack-entries, …), its type (bool,
// numeric with optional memory/percent/octal forms, enum, string, or special),
// its bounds, its default and whether CONFIG SET may change it. Load, Get, Set
// and Rewrite are all driven by that table, so a directive behaves the same
// way in a file, on the command line and through CONFIG SET.
//
// Every directive redis-server 7.0 accepts is accepted. The ones Shoal acts on
// have typed fields on Config; the others keep their validated value inside the
// Config so CONFIG GET, CONFIG SET and CONFIG REWRITE show them exactly as
// Redis would (see Config.Value). Names Redis does not know are refused with
// Redis's own messages.
//
// Differences from redis-server, all deliberate:
//   - "daemonize yes" is refused at load time: Shoal does not fork. Run it
//     under a supervisor.
//   - "dir" is not applied with chdir: Config.Dir holds the absolute path and
//     the server decides what to do with it. Relative paths are resolved
//     against the previous dir value, as a chain of chdir calls would be.
//   - rename-command, user and loadmodule lines are recorded, not checked:
//     the server validates them against its command table and ACL code
//     (rename-command with the line it came from, for Redis's fatal error).
//   - CONFIG GET returns matches in table order, not in Redis's hash order.
//
// Errors use Redis's texts: a bad file yields a *FileError whose Error() is
// the exact "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" block redis-server
// prints; Set returns errors whose Error() is the "ERR ..." reply text.
package config
