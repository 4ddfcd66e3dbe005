// Package acl is Redis 7.0's access control lists: users with passwords
// (kept as SHA-256 hex), flags and selectors; the rule language of ACL
// SETUSER, `user` lines and the aclfile (acl.c ACLSetUser/ACLSetSelector);
// the command categories, read from the command table's COMMAND INFO
// categories; the permission check of a command, its keys (through the
// command's key specs, with %R~/%W~ read and write patterns) and its
// Pub/Sub channels; ACL LIST's rule descriptions; and the ACL LOG ring.
//
// A User's permissions are an immutable Perms value behind an atomic
// pointer: ACL SETUSER builds a new one and publishes it, so a connection
// logged in as the user checks the rules in force with one pointer load,
// and the default user with every permission passes on one flag (All).
// The Registry (the set of users) is guarded by its own mutex; the command
// dispatcher never takes it.
package acl
