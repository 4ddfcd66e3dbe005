package slot

import (
	"math/rand/v2"
	"testing"
)

func TestOf(t *testing.T) {
	cases := []struct {
		key  string
		want int
	}{
		{"foo", 12182},
		{"hello", 866},
		{"key:{hash_tag}:111", 2515},
		{"{}foo", OfString("{}foo")},
		{"123456789", int(0x31C3 & 16383)},
	}
	for _, c := range cases {
		if got := OfString(c.key); got != c.want {
			t.Errorf("slot(%q) = %d, want %d", c.key, got, c.want)
		}
	}
	if CRC16([]byte("123456789")) != 0x31C3 {
		t.Fatalf("crc16 check value wrong: %x", CRC16([]byte("123456789")))
	}
	if OfString("{user1000}.following") != OfString("{user1000}.followers") {
		t.Fatal("hash tags differ")
	}
	if OfString("foo{}{bar}") != OfString("foo{}{bar}") || string(Tag([]byte("foo{}{bar}"))) != "foo{}{bar}" {
		t.Fatal("empty first tag must hash the whole key")
	}
	if string(Tag([]byte("foo{{bar}}zap"))) != "{bar" {
		t.Fatal("tag of foo{{bar}}zap must be {bar")
	}
}

// TestCRC16Sliced: the sliced CRC equals the byte-at-a-time definition for
// every length up to 40 and random contents.
func TestCRC16Sliced(t *testing.T) {
	bytewise := func(b []byte) uint16 {
		var crc uint16
		for _, c := range b {
			crc ^= uint16(c) << 8
			for j := 0; j < 8; j++ {
				if crc&0x8000 != 0 {
					crc = crc<<1 ^ 0x1021
				} else {
					crc <<= 1
				}
			}
		}
		return crc
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 40; n++ {
		for r := 0; r < 200; r++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			if got, want := CRC16(b), bytewise(b); got != want {
				t.Fatalf("CRC16(%x) = %#x, want %#x", b, got, want)
			}
		}
	}
	if got := CRC16([]byte("123456789")); got != 0x31c3 {
		t.Fatalf("CRC16 check value %#x, want 0x31c3", got)
	}
}
