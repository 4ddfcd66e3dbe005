package command

// pqsort is Redis's pqsort (Bentley & McIlroy's quicksort that only sorts
// the partitions overlapping ranks [lrange, rrange]), ported index for
// index so that results with equal distances come out in Redis's order
// when COUNT cuts a GEORADIUS/GEOSEARCH reply short.
func pqsort(a []geoPoint, cmp func(a, b *geoPoint) int, lrange, rrange int) {
	pqsortRec(a, 0, len(a), cmp, lrange, rrange)
}

func pqsortRec(a []geoPoint, base, n int, cmp func(a, b *geoPoint) int, L, R int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(&a[x], &a[y]) < 0 {
			if cmp(&a[y], &a[z]) < 0 {
				return y
			}
			if cmp(&a[x], &a[z]) < 0 {
				return z
			}
			return x
		}
		if cmp(&a[y], &a[z]) > 0 {
			return y
		}
		if cmp(&a[x], &a[z]) < 0 {
			return x
		}
		return z
	}
	for {
		if n < 7 {
			for pm := base + 1; pm < base+n; pm++ {
				for pl := pm; pl > base && cmp(&a[pl-1], &a[pl]) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := base + n/2
		if n > 7 {
			pl := base
			pn := base + n - 1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(base, pm)
		pa, pb := base+1, base+1
		pc, pd := base+n-1, base+n-1
		for {
			for pb <= pc {
				r := cmp(&a[pb], &a[base])
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&a[pc], &a[base])
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := base + n
		r := min(pa-base, pb-pa)
		vecswap(base, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 {
			if overlaps(base, r, L, R) {
				pqsortRec(a, base, r, cmp, L, R)
			}
		}
		if r = pd - pc; r > 1 {
			base = pn - r
			n = r
			if overlaps(base, n, L, R) {
				continue
			}
		}
		return
	}
}

// overlaps reports whether elements [s, s+k) meet ranks [L, R].
func overlaps(s, k, L, R int) bool {
	return !((L < s && R < s) || (L >= s+k && R >= s+k))
}
