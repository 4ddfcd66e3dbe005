package hll

import (
	"encoding/binary"
	"fmt"
	"math"
)

// SelfTest is PFSELFTEST: the dense register accessors keep what they set
// without touching neighbours; a dense and a sparse sketch fed the same
// 10 million elements use the sparse encoding while small, agree, and stay
// within six standard errors at every power of ten. It returns "" or the
// TESTFAILED error text. rnd is the random source.
func SelfTest(rnd func() uint64, maxSparse int) string {
	dense := make([]byte, DenseSize)
	regs := dense[HdrSize:]
	var want [Registers]uint8
	for cycle := 0; cycle < 1000; cycle++ {
		for i := range want {
			r := uint8(rnd() & RegMax)
			want[i] = r
			DenseSet(regs, i, r)
		}
		for i := range want {
			if v := DenseGet(regs, i); v != want[i] {
				return fmt.Sprintf("TESTFAILED Register %d should be %d but is %d", i, want[i], v)
			}
		}
	}
	clear(regs)
	dense[4] = Dense
	copy(dense, "HYLL")
	d := FromBytes(dense)
	sp := FromBytes(NewSparse())
	relerr := 1.04 / math.Sqrt(Registers)
	checkpoint := int64(1)
	seed := rnd()
	var ele [8]byte
	for j := int64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		d.Add(ele[:], maxSparse)
		sp.Add(ele[:], maxSparse)
		if j != checkpoint {
			continue
		}
		if j < int64(maxSparse/2) && sp.Encoding() != Sparse {
			return "TESTFAILED sparse encoding not used"
		}
		dc, _ := Count(d.B)
		sc, _ := Count(sp.B)
		if dc != sc {
			return "TESTFAILED dense/sparse disagree"
		}
		abserr := checkpoint - int64(dc)
		maxerr := uint64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > int64(maxerr) {
			return fmt.Sprintf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return ""
}
