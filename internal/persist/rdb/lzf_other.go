//go:build !amd64 || purego

package rdb

// lzfLoop is lzfLoopGo where there is no assembly twin.
func lzfLoop(in, out []byte, htab *lzfTable, ip, op, lit int) (int, int, int) {
	return lzfLoopGo(in, out, htab, ip, op, lit)
}

// lzfUseAsm: there is no assembly loop here (tests set it off to check
// lzfLoopGo where there is one).
var lzfUseAsm = false
