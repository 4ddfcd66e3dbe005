package slot

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGoldenKeyslots compares Of with CLUSTER KEYSLOT answers recorded from a
// real redis-server 7.0.15 by testdata/gen_keyslots.sh.
func TestGoldenKeyslots(t *testing.T) {
	f, err := os.Open("testdata/keyslots.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") {
			continue
		}
		hexKey, slotText, ok := strings.Cut(text, " ")
		if !ok {
			t.Fatalf("line %d: malformed %q", line, text)
		}
		if hexKey == "-" {
			hexKey = ""
		}
		key, err := hex.DecodeString(hexKey)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		want, err := strconv.Atoi(slotText)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		if got := Of(key); got != want {
			t.Errorf("line %d: Of(%q) = %d, redis says %d", line, key, got, want)
		}
		if got := OfString(string(key)); got != want {
			t.Errorf("line %d: OfString(%q) = %d, redis says %d", line, key, got, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 3000 {
		t.Fatalf("only %d keys in golden file", n)
	}
}
