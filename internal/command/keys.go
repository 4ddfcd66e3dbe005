package command

import "strings"

// KeyPositions appends the argument indexes of the keys of args (args[0]
// is the command name) to dst, following the command's key specs as Redis
// 7.0 getKeysUsingKeySpecs does. Out-of-range specs yield no keys.
func (s *Spec) KeyPositions(args [][]byte, dst []int) []int {
	if s.GetKeys != nil {
		return s.GetKeys(args, dst)
	}
	dst, _ = s.specKeys(args, dst, nil)
	return dst
}

// SpecKeyPositions is KeyPositions from the key specs alone (no GetKeys
// override), also appending to specs the index in KeySpecs each key came
// from: ACL checks read that spec's flags (read, write) for the key.
// Specs flagged not_key (SPUBLISH's channel) are skipped, as Redis's
// getKeysUsingKeySpecs skips them for ACL checks.
func (s *Spec) SpecKeyPositions(args [][]byte, dst []int, specs []uint8) ([]int, []uint8) {
	return s.specKeys(args, dst, specs[:0:cap(specs)])
}

func (s *Spec) specKeys(args [][]byte, dst []int, specs []uint8) ([]int, []uint8) {
	argc := len(args)
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		var first int
		switch {
		case ks.BeginUnknown:
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
		if ks.FindUnknown || (specs != nil && ks.Flags == "not_key") {
			continue
		}
		var last, step int
		if ks.KeyNum {
			ki := first + ks.KeyNumIdx
			if ki >= argc {
				continue
			}
			n, ok := parseSmallInt(args[ki])
			if !ok || n < 0 {
				continue
			}
			first = ki + ks.FirstKey
			step = ks.KeyStep
			last = first + (n-1)*step
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
		if first <= 0 || first >= argc || last >= argc {
			continue
		}
		for j := first; j <= last; j += step {
			dst = append(dst, j)
			if specs != nil {
				specs = append(specs, uint8(i))
			}
		}
	}
	return dst, specs
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
