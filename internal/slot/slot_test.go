package slot

import "testing"

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
