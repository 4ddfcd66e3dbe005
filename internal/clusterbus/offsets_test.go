package clusterbus

import (
	"bytes"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestHeaderOffsets is our twin of the static_asserts in Redis's cluster.h:
// every header field must sit at Redis's offset, since nodes of different
// versions share the bus. Each field is given a distinct value and found in
// the encoded bytes at the offset Redis asserts.
func TestHeaderOffsets(t *testing.T) {
	m := &Message{Header: Header{
		Ver: 0x0102, Port: 0x0304, Type: TypeMFStart, Count: 0x0708,
		CurrentEpoch: 0x1112131415161718, ConfigEpoch: 0x2122232425262728, Offset: 0x3132333435363738,
		Sender: NameFrom("SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"), SlaveOf: NameFrom("OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO"),
		MyIP: IPFrom("IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII"), Extensions: 0x4142,
		PPort: 0x5152, CPort: 0x6162, Flags: 0x7172, State: 0x81, MFlags: [3]byte{0x91, 0x92, 0x93},
	}}
	for i := range m.Header.NotUsed1 {
		m.Header.NotUsed1[i] = 'N'
	}
	for i := range m.Header.MySlots {
		m.Header.MySlots[i] = 'M'
	}
	b := m.Encode(nil)
	for _, tc := range []struct {
		field string
		off   int
		want  []byte
	}{
		{"sig", 0, []byte("RCmb")},
		{"totlen", 4, []byte{0, 0, 0x08, 0xd0}}, // 2256
		{"ver", 8, []byte{1, 2}},
		{"port", 10, []byte{3, 4}},
		{"type", 12, []byte{0, 8}},
		{"count", 14, []byte{7, 8}},
		{"currentEpoch", 16, []byte{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}},
		{"configEpoch", 24, []byte{0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28}},
		{"offset", 32, []byte{0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38}},
		{"sender", 40, bytes.Repeat([]byte("S"), 40)},
		{"myslots", 80, bytes.Repeat([]byte("M"), 2048)},
		{"slaveof", 2128, bytes.Repeat([]byte("O"), 40)},
		{"myip", 2168, append(bytes.Repeat([]byte("I"), 45), 0)},
		{"extensions", 2214, []byte{0x41, 0x42}},
		{"notused1", 2216, bytes.Repeat([]byte("N"), 30)},
		{"pport", 2246, []byte{0x51, 0x52}},
		{"cport", 2248, []byte{0x61, 0x62}},
		{"flags", 2250, []byte{0x71, 0x72}},
		{"state", 2252, []byte{0x81}},
		{"mflags", 2253, []byte{0x91, 0x92, 0x93}},
	} {
		if got := b[tc.off : tc.off+len(tc.want)]; !bytes.Equal(got, tc.want) {
			t.Errorf("%s at %d: got % x, want % x", tc.field, tc.off, got, tc.want)
		}
	}
	testutil.Equal(t, len(b), 2256) // data starts here
	testutil.Equal(t, HeaderLen, 2256)
	testutil.Equal(t, offData, HeaderLen)
}

// TestBodyOffsets pins the body layouts: clusterMsgDataGossip (104 bytes),
// clusterMsgDataUpdate, clusterMsgDataPublish and clusterMsgModule.
func TestBodyOffsets(t *testing.T) {
	g := Gossip{NodeName: NameFrom("GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG"), PingSent: 0x01020304, PongReceived: 0x05060708,
		IP: IPFrom("10.0.0.1"), Port: 0x1112, CPort: 0x1314, Flags: 0x1516, PPort: 0x1718, NotUsed1: 0x191a}
	m := &Message{Header: Header{Type: TypePing}, Gossip: []Gossip{g}}
	b := m.Encode(nil)[HeaderLen:]
	testutil.Equal(t, len(b), GossipLen)
	for _, tc := range []struct {
		field string
		off   int
		want  []byte
	}{
		{"nodename", 0, []byte("GGGG")},
		{"ping_sent", 40, []byte{1, 2, 3, 4}},
		{"pong_received", 44, []byte{5, 6, 7, 8}},
		{"ip", 48, []byte("10.0.0.1\x00")},
		{"port", 94, []byte{0x11, 0x12}},
		{"cport", 96, []byte{0x13, 0x14}},
		{"flags", 98, []byte{0x15, 0x16}},
		{"pport", 100, []byte{0x17, 0x18}},
		{"notused1", 102, []byte{0x19, 0x1a}},
	} {
		if got := b[tc.off : tc.off+len(tc.want)]; !bytes.Equal(got, tc.want) {
			t.Errorf("gossip %s at %d: got % x, want % x", tc.field, tc.off, got, tc.want)
		}
	}

	u := &Message{Header: Header{Type: TypeUpdate}, Update: Update{ConfigEpoch: 0x0102030405060708, NodeName: NameFrom("UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU")}}
	u.Update.Slots.Set(16383)
	b = u.Encode(nil)[HeaderLen:]
	testutil.Equal(t, len(b), 8+40+2048)
	testutil.Equal(t, b[0], byte(1))
	testutil.Equal(t, string(b[8:48]), u.Update.NodeName.String())
	testutil.Equal(t, b[48+2047], byte(0x80))

	p := &Message{Header: Header{Type: TypePublish}, Publish: Publish{Channel: []byte("ch"), Message: []byte("hello")}}
	b = p.Encode(nil)[HeaderLen:]
	testutil.Equal(t, string(b), "\x00\x00\x00\x02\x00\x00\x00\x05chhello")

	md := &Message{Header: Header{Type: TypeModule}, Module: Module{ModuleID: 0x0102030405060708, Type: 9, Payload: []byte("xyz")}}
	b = md.Encode(nil)[HeaderLen:]
	testutil.Equal(t, string(b), "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x03\x09xyz")
}
