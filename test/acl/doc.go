// Package acl holds the process tests of ACL users and permissions: a
// permission matrix checked against a live redis-server's ACL DRYRUN, and
// go-redis / redis-cli sessions (ACL LOG, users removed while logged in,
// aclfile and redis.conf users, CLIENT KILL USER, revoked channels).
package acl
