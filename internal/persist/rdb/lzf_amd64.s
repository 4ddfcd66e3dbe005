//go:build amd64 && !purego

#include "textflag.h"

// IDX sets I to liblzf's IDX of the 32-bit hash value H (lzfIdx), using T.
#define IDX(H, I, T) \
	MOVL H, I;            \
	SHRL $8, I;           \
	LEAL (H)(H*4), T;     \
	SUBL T, I;            \
	ANDL $0xFFFF, I

// AT compares in[ref+k] with in[ip+k] and leaves for mK (the match ends at
// k) if they differ.
#define AT(k, mK) \
	MOVBLZX k(DX), R14; \
	CMPB    R14, k(AX); \
	JNE     mK

// func lzfLoopAsm(in, out *byte, end, stop, outLen int, tab *[lzfHSize]uint32, base, ip, op, lit int) (rip, rop, rlit int)
//
// lzfLoopGo step by step. Positions are kept as base+ip (what the table
// holds), so that a slot is compared with the position without
// subtracting the base: SI is in-base, so (SI)(R8*1) is in[ip]. A
// literal takes one branch back to the loop, a match one more.
//
//	SI  in - base          R8  base + ip         R15 base + end
//	R11 base + stop        DI  &out[op]          R12 &out[outLen]
//	R10 lit                R13 tab               R9  a match's offset
//	AX, BX, CX, DX, R14 scratch
TEXT ·lzfLoopAsm(SB), NOSPLIT, $0-104
	MOVQ base+48(FP), AX
	MOVQ in+0(FP), SI
	SUBQ AX, SI
	MOVQ ip+56(FP), R8
	ADDQ AX, R8
	MOVQ end+16(FP), R15
	ADDQ AX, R15
	MOVQ stop+24(FP), R11
	ADDQ AX, R11
	MOVQ out+8(FP), DI
	MOVQ DI, R12
	ADDQ op+64(FP), DI
	ADDQ outLen+32(FP), R12
	MOVQ lit+72(FP), R10
	MOVQ tab+40(FP), R13
	JMP  check

loop:
	// w = in[ip-1..ip+2] (little endian); liblzf's hval is w byte-swapped.
	MOVL   -1(SI)(R8*1), AX
	MOVL   AX, BX
	BSWAPL BX
	IDX(BX, CX, DX)
	MOVL   (R13)(CX*4), DX // the slot: base+ref, or older
	MOVL   R8, (R13)(CX*4)
	SHRL   $8, AX          // in[ip..ip+2] in the low 3 bytes, in[ip] in AL
	MOVQ   R8, R9
	SUBQ   DX, R9
	DECQ   R9              // off = ip - ref - 1 (huge if ref ≥ ip)
	CMPQ   R9, $0x2000
	JCS    candidate

literal:
	CMPQ DI, R12
	JCC  giveup
	MOVB AL, (DI)
	INCQ DI
	INCQ R8
	INCQ R10
	CMPQ R10, $32
	JEQ  fullrun

check:
	CMPQ R8, R11
	JCS  loop
	JMP  done

fullrun: // the run's 32nd literal: its length byte, and a new run
	MOVB $31, -33(DI)
	XORL R10, R10
	INCQ DI
	JMP  check

candidate:
	MOVL (SI)(DX*1), CX // in[ref..ref+3]
	XORL AX, CX
	SHLL $8, CX         // the first 3 bytes agree?
	JNE  literal

	// A match. Room for the reference and the next run's length byte:
	// op+4 < outLen, or op+3 < outLen when the pending run is empty.
	LEAQ 4(DI), CX
	CMPQ CX, R12
	JCS  room
	TESTQ R10, R10
	JNE   giveup
	LEAQ  3(DI), CX
	CMPQ CX, R12
	JCC  giveup

room:
	// Close the pending run (its length byte: lit-1); an empty one is
	// undone.
	MOVQ DI, CX
	SUBQ R10, CX
	LEAL -1(R10), BX
	MOVB BX, -1(CX)
	CMPQ R10, $1
	SBBQ $0, DI

	// The match length m (CX), as lzfLoopGo: DX = &in[ref], AX = &in[ip],
	// BX = maxlen = min(end-ip, lzfMaxRef). Indexes 3..18 are compared one
	// by one, each its own branch (as liblzf): the CPU predicts where the
	// matches of a listpack end, where a length computed from the bytes
	// (BSF) would make the next position wait for the loads.
	ADDQ    SI, DX
	LEAQ    (SI)(R8*1), AX
	MOVQ    R15, BX
	SUBQ    R8, BX
	MOVL    $264, CX
	CMPQ    BX, CX
	CMOVQHI CX, BX
	MOVL    $3, CX
	CMPQ    BX, $16
	JLS     bytes // maxlen ≤ 16: byte by byte from 3
	AT(3, m3)
	AT(4, m4)
	AT(5, m5)
	AT(6, m6)
	AT(7, m7)
	AT(8, m8)
	AT(9, m9)
	AT(10, m10)
	AT(11, m11)
	AT(12, m12)
	AT(13, m13)
	AT(14, m14)
	AT(15, m15)
	AT(16, m16)
	AT(17, m17)
	AT(18, m18)
	MOVL $19, CX

words: // 8 bytes at a time while m+8 ≤ maxlen
	LEAQ 8(CX), R14
	CMPQ R14, BX
	JHI  bytes
	MOVQ (DX)(CX*1), R14
	XORQ (AX)(CX*1), R14
	JNE  diff
	ADDQ $8, CX
	JMP  words

diff: // the first differing byte of the 8 in R14
	BSFQ R14, R14
	SHRQ $3, R14
	ADDQ R14, CX
	JMP  emit

bytes: // byte by byte while m < maxlen (from 19, m stays 19 when maxlen < 19)
	CMPQ CX, BX
	JCC  emit
	MOVB (DX)(CX*1), R14
	CMPB R14, (AX)(CX*1)
	JNE  emit
	INCQ CX
	JMP  bytes

m3:
	MOVL $3, CX
	JMP  emit

m4:
	MOVL $4, CX
	JMP  emit

m5:
	MOVL $5, CX
	JMP  emit

m6:
	MOVL $6, CX
	JMP  emit

m7:
	MOVL $7, CX
	JMP  emit

m8:
	MOVL $8, CX
	JMP  emit

m9:
	MOVL $9, CX
	JMP  emit

m10:
	MOVL $10, CX
	JMP  emit

m11:
	MOVL $11, CX
	JMP  emit

m12:
	MOVL $12, CX
	JMP  emit

m13:
	MOVL $13, CX
	JMP  emit

m14:
	MOVL $14, CX
	JMP  emit

m15:
	MOVL $15, CX
	JMP  emit

m16:
	MOVL $16, CX
	JMP  emit

m17:
	MOVL $17, CX
	JMP  emit

m18:
	MOVL $18, CX

emit:
	// The reference: l = m-2 in 3 bits, or 7 and a length byte; then the
	// offset's low byte, and a new run's length byte left to fill.
	LEAQ -2(CX), BX
	MOVQ R9, R14
	SHRQ $8, R14
	CMPQ BX, $7
	JCC  long
	SHLQ $5, BX
	ADDQ BX, R14
	MOVB R14, (DI)
	MOVB R9, 1(DI)
	ADDQ $3, DI
	JMP  next

long:
	ADDQ $0xE0, R14
	MOVB R14, (DI)
	SUBQ $7, BX
	MOVB BX, 1(DI)
	MOVB R9, 2(DI)
	ADDQ $4, DI

next:
	XORL R10, R10
	ADDQ CX, R8
	CMPQ R8, R15
	JCC  done
	// Hash the two positions before ip: in[ip-2..ip+1], big endian, its
	// top 24 bits for ip-2 (liblzf starts afresh after a match).
	MOVL   -2(SI)(R8*1), AX
	BSWAPL AX
	MOVL   AX, BX
	SHRL   $8, BX
	IDX(BX, CX, DX)
	LEAL   -2(R8), DX
	MOVL   DX, (R13)(CX*4)
	IDX(AX, CX, DX)
	LEAL   -1(R8), DX
	MOVL   DX, (R13)(CX*4)
	JMP    check

done:
	MOVQ base+48(FP), AX
	SUBQ AX, R8
	MOVQ R8, rip+80(FP)
	MOVQ R10, rlit+96(FP)
	SUBQ out+8(FP), DI
	MOVQ DI, rop+88(FP)
	RET

giveup:
	MOVQ base+48(FP), AX
	SUBQ AX, R8
	MOVQ R8, rip+80(FP)
	MOVQ $-1, rop+88(FP)
	MOVQ R10, rlit+96(FP)
	RET
