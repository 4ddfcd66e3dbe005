package command

import "strings"

// KeyPositions appends the argument indexes of the keys of args (args[0]
// is the command name) to dst, following the command's key specs as Redis
// 7.0 getKeysUsingKeySpecs does. Out-of-range specs yield no keys.
func (s *Spec) KeyPositions(args [][]byte, dst []int) []int {
	if s.GetKeys != nil {
		return s.GetKeys(args, dst)
	}
	dst, _, _ = s.specKeys(args, dst, nil)
	return dst
}

// SpecKeyPositions is Redis's getKeysUsingKeySpecs with default search
// flags, as ACL checks use it: keys from the key specs alone (no GetKeys
// override), each with the index in KeySpecs it came from in specs (whose
// flags say read or write). Specs flagged not_key are skipped. ok is false
// when a spec is invalid for args (an unknown or incomplete spec, a bad
// key count, keys out of range): then, as in Redis, no keys are returned
// and the caller falls back to the command's own key finder, if any.
func (s *Spec) SpecKeyPositions(args [][]byte, dst []int, specs []uint8) ([]int, []uint8, bool) {
	if specs == nil {
		specs = make([]uint8, 0, 8)
	}
	return s.specKeys(args, dst, specs[:0])
}

// specKeys walks the key specs; strict (specs != nil) is the ACL form.
func (s *Spec) specKeys(args [][]byte, dst []int, specs []uint8) ([]int, []uint8, bool) {
	strict := specs != nil
	d0 := len(dst)
	invalid := func() ([]int, []uint8, bool) { return dst[:d0], specs[:0], false }
	argc := len(args)
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if strict && ks.NotKey {
			continue
		}
		var first int
		switch {
		case ks.BeginUnknown:
			if strict {
				return invalid()
			}
			continue
		case ks.BeginKeyword != "":
			start, end, step := ks.KeywordStart, argc-1, 1
			if start < 0 {
				start, end, step = argc+start, 0, -1
			}
			first = 0
			for j := start; j != end+step && j > 0 && j < argc; j += step {
				if strings.EqualFold(string(args[j]), ks.BeginKeyword) {
					first = j + 1
					break
				}
			}
			if first == 0 {
				continue
			}
		default:
			first = ks.BeginIndex
		}
		if ks.FindUnknown {
			if strict {
				return invalid()
			}
			continue
		}
		var last, step int
		if ks.KeyNum {
			ki := first + ks.KeyNumIdx
			if ki >= argc {
				if strict {
					return invalid()
				}
				continue
			}
			n, ok := parseSmallInt(args[ki])
			if !ok || n < 0 {
				if strict {
					return invalid()
				}
				continue
			}
			first = ki + ks.FirstKey
			step = ks.KeyStep
			last = first + (n-1)*step
			if strict {
				last = first + n - 1
			}
		} else {
			step = ks.KeyStep
			switch {
			case ks.LastKey >= 0:
				last = first + ks.LastKey
			case ks.Limit <= 1:
				last = argc + ks.LastKey
			default:
				last = first + ((argc-first)/ks.Limit + ks.LastKey)
			}
		}
		if first <= 0 || first >= argc || last >= argc || (strict && last < first) {
			if strict {
				return invalid()
			}
			continue
		}
		for j := first; j <= last; j += step {
			dst = append(dst, j)
			if strict {
				specs = append(specs, uint8(i))
			}
		}
		if strict && ks.Incomplete {
			return invalid()
		}
	}
	return dst, specs, true
}

func parseSmallInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
