// Package script runs Redis 7.0's Lua scripts and functions: EVAL and
// FCALL bodies, the sandboxed Lua 5.1 environment Redis gives them (the
// redis table, cjson, cmsgpack, bit, struct, protected globals), the
// conversion between RESP replies and Lua values, shebang and function
// flags, the script cache and the function libraries.
//
// It knows the command table but not the server: a command called from a
// script goes through Redis's checks here (scriptCall in script.c: arity,
// noscript, writes from read-only scripts) and is then handed to the
// Host the server supplies, which checks cluster locality, takes the
// stripe locks of keys the script did not declare and runs the handler.
//
// The interpreter is github.com/yuin/gopher-lua (Lua 5.1 in pure Go).
// Each Engine keeps a pool of Lua states so scripts on disjoint keys run on
// several cores at once; a script's compiled prototype is shared and bound
// to each state on first use.
package script
