// Package command is the command table and the data commands. Every
// command's arity, flags and key positions come from Redis 7.0.15 itself
// (specs_gen.go, made by tools/gencommands), so routing, COMMAND INFO/DOCS/
// GETKEYS and arity errors are Redis's. Handlers are attached by name; one
// file per type family (strings.go, keys.go, …). Connection and server
// commands that need client state are attached by internal/server.
package command
