package slot

// Count is the number of hash slots.
const Count = 16384

// crcTables[0] is the CRC-16/XMODEM byte table; crcTables[k][x] is what a
// byte x fed k+1 steps before the end of a block contributes to its CRC
// (the CRC is linear), so CRC16 folds 8 bytes with 8 independent lookups
// instead of a chain of 8 dependent ones (slicing-by-8).
var crcTables [8][256]uint16

func init() {
	for i := 0; i < 256; i++ {
		crc := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		crcTables[0][i] = crc
	}
	for k := 1; k < 8; k++ {
		for i := 0; i < 256; i++ {
			p := crcTables[k-1][i]
			crcTables[k][i] = p<<8 ^ crcTables[0][p>>8]
		}
	}
}

// CRC16 is the CRC-16/XMODEM checksum Redis Cluster uses.
func CRC16(b []byte) uint16 {
	var crc uint16
	t := &crcTables
	for len(b) >= 8 {
		crc = t[7][byte(crc>>8)^b[0]] ^ t[6][byte(crc)^b[1]] ^
			t[5][b[2]] ^ t[4][b[3]] ^ t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
		b = b[8:]
	}
	for _, c := range b {
		crc = crc<<8 ^ t[0][byte(crc>>8)^c]
	}
	return crc
}

// Tag returns the part of key that is hashed: the content of the first
// {...} if it is non-empty, else the whole key.
func Tag(key []byte) []byte {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j == i+1 {
						return key
					}
					return key[i+1 : j]
				}
			}
			return key
		}
	}
	return key
}

// Of returns the hash slot of key.
func Of(key []byte) int { return int(CRC16(Tag(key)) & (Count - 1)) }

// OfString returns the hash slot of key.
func OfString(key string) int {
	return Of(stringBytes(key))
}
