//go:build amd64 && !purego

package rdb

import "unsafe"

// lzfUseAsm selects lzfLoopAsm for lzfLoop (tests turn it off to check
// lzfLoopGo on amd64 too).
var lzfUseAsm = true

// lzfAsmChunk is how far lzfLoopAsm goes per call: an assembly function
// cannot be preempted, so a long input is compressed in steps of ~0.1 ms
// (tests shrink it to cross many steps).
var lzfAsmChunk = 128 << 10

// lzfLoop is lzfLoopGo in assembly (lzf_amd64.s), the same steps.
func lzfLoop(in, out []byte, htab *lzfTable, ip, op, lit int) (int, int, int) {
	if !lzfUseAsm {
		return lzfLoopGo(in, out, htab, ip, op, lit)
	}
	end := len(in) - 2
	for ip < end {
		stop := min(end, ip+lzfAsmChunk)
		ip, op, lit = lzfLoopAsm(unsafe.SliceData(in), unsafe.SliceData(out), end, stop, len(out),
			&htab.slot, int(htab.cur), ip, op, lit)
		if op < 0 {
			break
		}
	}
	return ip, op, lit
}

// lzfLoopAsm runs lzfLoopGo's loop over in[:end+2] into out[:outLen]
// until ip reaches stop (≤ end) or the output does not fit (rop -1);
// base is htab.cur.
//
//go:noescape
func lzfLoopAsm(in, out *byte, end, stop, outLen int, tab *[lzfHSize]uint32, base, ip, op, lit int) (rip, rop, rlit int)
