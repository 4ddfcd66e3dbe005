//go:build amd64 && !purego

#include "textflag.h"

// FOLD folds the remainder R over 16 bytes at off(SI) with the constants K
// (low quadword: for R's low quadword, the first 8 bytes; high: for its
// high quadword): R = R.lo·K.lo ^ R.hi·K.hi ^ the 16 bytes. T, U: scratch.
#define FOLD(R, K, off, T, U) \
	MOVOU     R, T;          \
	PCLMULQDQ $0x00, K, R;   \
	PCLMULQDQ $0x11, K, T;   \
	PXOR      T, R;          \
	MOVOU     off(SI), U;    \
	PXOR      U, R

// FOLDREG folds the remainder R over the 16 bytes in register D.
#define FOLDREG(R, K, D, T) \
	MOVOU     R, T;         \
	PCLMULQDQ $0x00, K, R;  \
	PCLMULQDQ $0x11, K, T;  \
	PXOR      T, R;         \
	PXOR      D, R

// func crcFold16(x *[16]byte, p *byte, n int, k *[4]uint64)
//
// From 112 bytes on, four remainders (X0–X3) fold 64 bytes ahead each,
// independent of one another (a carry-less multiplication's latency is
// several cycles), and are then folded into one; the rest goes 16 bytes
// at a time. k: the 16-byte constants, then the 64-byte ones.
TEXT ·crcFold16(SB), NOSPLIT, $0-32
	MOVQ  x+0(FP), DI
	MOVQ  p+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVQ  k+24(FP), AX
	MOVOU (DI), X0
	MOVOU 0(AX), X4
	MOVOU 16(AX), X5
	CMPQ  CX, $112
	JB    loop16
	MOVOU 0(SI), X1
	MOVOU 16(SI), X2
	MOVOU 32(SI), X3
	ADDQ  $48, SI
	SUBQ  $48, CX

loop64:
	CMPQ CX, $64
	JB   combine
	FOLD(X0, X5, 0, X6, X7)
	FOLD(X1, X5, 16, X8, X9)
	FOLD(X2, X5, 32, X10, X11)
	FOLD(X3, X5, 48, X12, X13)
	ADDQ $64, SI
	SUBQ $64, CX
	JMP  loop64

combine:
	FOLDREG(X0, X4, X1, X6)
	FOLDREG(X0, X4, X2, X6)
	FOLDREG(X0, X4, X3, X6)

loop16:
	CMPQ CX, $16
	JB   done
	FOLD(X0, X4, 0, X6, X7)
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop16

done:
	MOVOU X0, (DI)
	RET
