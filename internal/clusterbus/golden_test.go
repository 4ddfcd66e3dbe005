package clusterbus

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// capture is one frame recorded from a real Redis 7.0.15 cluster bus by
// testdata/capture.sh, with the facts known about it when it was recorded.
type capture struct {
	name  string
	facts map[string]string // "# key: value" comment lines
	frame []byte
}

func loadCaptures(t testing.TB) []capture {
	t.Helper()
	paths, err := filepath.Glob("testdata/captures/*.hex")
	testutil.NoErr(t, err)
	if len(paths) == 0 {
		t.Fatal("no captures in testdata/captures; run testdata/capture.sh")
	}
	var out []capture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		testutil.NoErr(t, err)
		c := capture{name: strings.TrimSuffix(filepath.Base(p), ".hex"), facts: map[string]string{}}
		var h strings.Builder
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "#") {
				if k, v, ok := strings.Cut(strings.TrimPrefix(l, "# "), ": "); ok {
					c.facts[k] = v
				}
				continue
			}
			h.WriteString(strings.TrimSpace(l))
		}
		c.frame, err = hex.DecodeString(h.String())
		testutil.NoErr(t, err)
		out = append(out, c)
	}
	return out
}

// slotRanges returns the bitmap's runs in CLUSTER NODES form ("0-5460").
func slotRanges(b *SlotBits) string {
	m := b.Bitmap()
	var parts []string
	for _, r := range m.Ranges() {
		parts = append(parts, r.String())
	}
	return strings.Join(parts, " ")
}

// TestGoldenCaptures decodes every captured frame, checks the fields the
// capture knows (the sender's CLUSTER MYID, announced ports, slots,
// hostname, ...) and re-encodes it byte for byte.
func TestGoldenCaptures(t *testing.T) {
	seen := map[Type]bool{}
	for _, c := range loadCaptures(t) {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode(c.frame)
			testutil.NoErr(t, err)
			h := &m.Header
			seen[h.Type] = true
			testutil.Equal(t, h.Type.String(), c.facts["type"])
			testutil.Equal(t, h.Ver, uint16(ProtoVer))
			testutil.Equal(t, int(h.Totlen), len(c.frame))
			testutil.Equal(t, m.Len(), len(c.frame))
			for k, v := range c.facts {
				switch k {
				case "sender":
					testutil.Equal(t, h.Sender.String(), v)
				case "port":
					testutil.Equal(t, strconv.Itoa(int(h.Port)), v)
				case "cport":
					testutil.Equal(t, strconv.Itoa(int(h.CPort)), v)
				case "slots":
					testutil.Equal(t, slotRanges(&h.MySlots), v)
				case "slaveof":
					testutil.Equal(t, h.SlaveOf.String(), v)
					testutil.True(t, h.Flags&NodeSlave != 0, "replica flag not set")
				case "myip":
					testutil.Equal(t, h.MyIP.String(), v)
				case "count":
					testutil.Equal(t, strconv.Itoa(len(m.Gossip)), v)
				case "mflags0":
					testutil.Equal(t, strconv.Itoa(int(h.MFlags[0])), v)
				case "fail-node":
					testutil.Equal(t, m.Fail.NodeName.String(), v)
				case "update-node":
					testutil.Equal(t, m.Update.NodeName.String(), v)
				case "update-slots":
					testutil.Equal(t, slotRanges(&m.Update.Slots), v)
				case "channel":
					testutil.Equal(t, string(m.Publish.Channel), v)
				case "message":
					testutil.Equal(t, string(m.Publish.Message), v)
				}
			}
			if _, ok := c.facts["myip"]; !ok && c.facts["sender"] != "" {
				testutil.Equal(t, h.MyIP.String(), "")
			}
			if h.Type.IsPing() {
				var host string
				for _, e := range m.Exts {
					if e.Type == ExtHostname {
						host = e.Hostname
					}
				}
				testutil.Equal(t, host, c.facts["hostname"])
				for _, g := range m.Gossip {
					testutil.True(t, len(g.NodeName.String()) == NameLen, "gossip entry without a node name")
					testutil.True(t, g.Port != 0 && g.CPort != 0, "gossip entry without ports")
				}
			}
			if s := c.facts["sender"]; s != "" && c.facts["slaveof"] == "" && h.Type != TypeMeet && h.Type != TypePong {
				testutil.True(t, h.Flags&NodeMaster != 0, "master flag not set")
			}
			got := m.Encode(nil)
			if !bytes.Equal(got, c.frame) {
				t.Fatalf("re-encoding differs at byte %d", firstDiff(got, c.frame))
			}
		})
	}
	for _, typ := range []Type{TypePing, TypePong, TypeMeet, TypeFail, TypePublish, TypeFailoverAuthRequest,
		TypeFailoverAuthAck, TypeUpdate, TypeMFStart, TypePublishShard} {
		if !seen[typ] {
			t.Errorf("no capture of a %s message", typ)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSlotBitsMatchesSlotBitmap checks the wire bit order against
// slot.Bitmap both ways.
func TestSlotBitsMatchesSlotBitmap(t *testing.T) {
	var m slot.Bitmap
	for _, s := range []int{0, 1, 7, 8, 63, 64, 5460, 5461, 16383} {
		m.Set(s)
	}
	b := SlotBitsFrom(&m)
	for s := range slot.Count {
		testutil.Equal(t, b.Has(s), m.Has(s))
	}
	var b2 SlotBits
	b2.Set(5461)
	testutil.Equal(t, b2[5461/8], byte(1<<(5461%8)))
	m2 := b2.Bitmap()
	testutil.True(t, m2.Has(5461) && m2.Count() == 1, "round trip through slot.Bitmap")
}
