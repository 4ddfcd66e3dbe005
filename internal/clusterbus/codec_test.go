package clusterbus

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

func sampleHeader(t Type) Header {
	h := Header{Ver: ProtoVer, Port: 7000, Type: t, CurrentEpoch: 5, ConfigEpoch: 3,
		Sender: NameFrom("0123456789012345678901234567890123456789"), CPort: 17000, Flags: NodeMaster}
	h.MySlots.Set(0)
	return h
}

// TestRoundTrip encodes one message of each type, decodes it and compares.
func TestRoundTrip(t *testing.T) {
	peer := NameFrom("abcdefabcdefabcdefabcdefabcdefabcdefabcd")
	for _, tc := range []struct {
		name string
		m    Message
	}{
		{"ping-bare", Message{Header: sampleHeader(TypePing)}},
		{"meet-gossip", Message{Header: sampleHeader(TypeMeet), Gossip: []Gossip{{NodeName: peer, IP: IPFrom("127.0.0.1"), Port: 7001, CPort: 17001, Flags: NodeSlave}}}},
		{"pong-exts", Message{Header: sampleHeader(TypePong), Exts: []Ext{
			{Type: ExtHostname, Hostname: "h"},
			{Type: ExtHostname, Hostname: "exactly7"}, // 8+1 bytes: pads to 16
			{Type: ExtForgottenNode, Name: peer, TTL: 60},
			{Type: ExtShardID, Name: peer},
			{Type: ExtHumanNodename, Raw: []byte("node-one\x00\x00\x00\x00\x00\x00\x00\x00")},
		}}},
		{"pong-wait-acked", Message{Header: sampleHeader(TypePong), Exts: []Ext{
			{Type: ExtHostname, Hostname: "h"},
			{Type: ExtShoalWaitAcked, Offset: 1<<63 + 12345},
		}}},
		{"fail", Message{Header: sampleHeader(TypeFail), Fail: Fail{NodeName: peer}}},
		{"publish", Message{Header: sampleHeader(TypePublish), Publish: Publish{Channel: []byte("c"), Message: []byte("m")}}},
		{"publishshard-empty", Message{Header: sampleHeader(TypePublishShard), Publish: Publish{Channel: []byte{}, Message: []byte{}}}},
		{"auth-req", Message{Header: sampleHeader(TypeFailoverAuthRequest)}},
		{"auth-ack", Message{Header: sampleHeader(TypeFailoverAuthAck)}},
		{"mfstart", Message{Header: sampleHeader(TypeMFStart)}},
		{"update", Message{Header: sampleHeader(TypeUpdate), Update: Update{ConfigEpoch: 9, NodeName: peer}}},
		{"module", Message{Header: sampleHeader(TypeModule), Module: Module{ModuleID: 1, Type: 2, Payload: []byte("p")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.m.Encode(nil)
			testutil.Equal(t, len(b), tc.m.Len())
			testutil.Equal(t, len(b)%1 == 0, true)
			got, err := Decode(b)
			testutil.NoErr(t, err)
			want := tc.m
			want.Header.Totlen = uint32(len(b))
			if want.Header.Type.IsPing() {
				want.Header.Count = uint16(len(want.Gossip))
				if len(want.Exts) > 0 {
					want.Header.MFlags[0] |= MFlag0ExtData
					want.Header.Extensions = uint16(len(want.Exts))
				}
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", got.Exts, want.Exts)
			}
			testutil.True(t, bytes.Equal(got.Encode(nil), b), "re-encode differs")
		})
	}
}

// TestExtLayout pins each extension's bytes: 8-byte header (length, type,
// unused) and a payload padded to 8 (Redis's getHostnamePingExtSize).
func TestExtLayout(t *testing.T) {
	m := Message{Header: sampleHeader(TypePing), Exts: []Ext{{Type: ExtHostname, Hostname: "abcdefg"}}}
	b := m.Encode(nil)[HeaderLen:]
	testutil.Equal(t, string(b), "\x00\x00\x00\x10\x00\x00\x00\x00abcdefg\x00")
	m.Exts = []Ext{{Type: ExtForgottenNode, Name: NameFrom("n"), TTL: 0x0102}}
	b = m.Encode(nil)[HeaderLen:]
	testutil.Equal(t, len(b), 56)
	testutil.Equal(t, string(b[:8]), "\x00\x00\x00\x38\x00\x02\x00\x00")
	testutil.Equal(t, string(b[48:]), "\x00\x00\x00\x00\x00\x00\x01\x02")
	m.Exts = []Ext{{Type: ExtShardID, Name: NameFrom("s")}}
	b = m.Encode(nil)[HeaderLen:]
	testutil.Equal(t, string(b[:8]), "\x00\x00\x00\x30\x00\x03\x00\x00")
	m.Exts = []Ext{{Type: ExtShoalWaitAcked, Offset: 0x0102030405060708}}
	b = m.Encode(nil)[HeaderLen:]
	testutil.Equal(t, string(b), "\x00\x00\x00\x10\x53\x41\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08")
}

// TestWaitAckedLength: the WAIT-acked extension carries exactly one offset;
// any other payload length is a malformed extension, not a silent zero.
func TestWaitAckedLength(t *testing.T) {
	for _, n := range []int{0, 16} {
		m := Message{Header: sampleHeader(TypePing), Exts: []Ext{{Type: 7, Raw: make([]byte, n)}}}
		b := m.Encode(nil)
		b[HeaderLen+4], b[HeaderLen+5] = 0x53, 0x41 // retype it as ExtShoalWaitAcked
		_, err := Decode(b)
		testutil.True(t, errors.Is(err, ErrExtension), "wait-acked payload of the wrong length accepted")
	}
}

// TestExtensionsWithoutFlag: Redis only reads extensions when
// CLUSTERMSG_FLAG0_EXT_DATA is set, so without it a non-zero extensions
// count is kept as a raw header field and trailing bytes are an error.
func TestExtensionsWithoutFlag(t *testing.T) {
	m := Message{Header: sampleHeader(TypePing)}
	m.Header.Extensions = 3
	b := m.Encode(nil)
	got, err := Decode(b)
	testutil.NoErr(t, err)
	testutil.Equal(t, got.Header.Extensions, uint16(3))
	testutil.Equal(t, len(got.Exts), 0)
	testutil.True(t, bytes.Equal(got.Encode(nil), b), "re-encode differs")
}

func TestDecodeErrors(t *testing.T) {
	good := (&Message{Header: sampleHeader(TypePing), Exts: []Ext{{Type: ExtHostname, Hostname: "x"}}}).Encode(nil)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	setTotlen := func(b []byte) []byte { be.PutUint32(b[4:], uint32(len(b))); return b }
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"short", good[:100], ErrLength},
		{"sig", mut(func(b []byte) []byte { b[0] = 'X'; return b }), ErrSignature},
		{"totlen", mut(func(b []byte) []byte { b[7]++; return b }), ErrLength},
		{"version", mut(func(b []byte) []byte { b[9] = 2; return b }), ErrVersion},
		{"unknown-type", mut(func(b []byte) []byte { b[13] = 11; return b }), ErrUnknownType},
		{"count-too-big", mut(func(b []byte) []byte { b[15] = 1; return b }), ErrLength},
		{"trailing", mut(func(b []byte) []byte { return setTotlen(append(b, 0, 0, 0, 0, 0, 0, 0, 0)) }), ErrLength},
		{"ext-unpadded", mut(func(b []byte) []byte { b[HeaderLen+3] = 12; return b }), ErrExtension},
		{"ext-zero", mut(func(b []byte) []byte { b[HeaderLen+3] = 0; return b }), ErrExtension},
		{"ext-past-end", mut(func(b []byte) []byte { b[HeaderLen+3] = 24; return b }), ErrExtension},
		{"ext-count", mut(func(b []byte) []byte { b[offExtensions+1] = 2; return b }), ErrExtension},
		{"fail-short", mut(func(b []byte) []byte { b[13] = byte(TypeFail); return b }), ErrLength},
		{"publish-lens", mut(func(b []byte) []byte { b[13] = byte(TypePublish); b[HeaderLen] = 0xff; return b }), ErrLength},
		{"module-short", mut(func(b []byte) []byte { b[13] = byte(TypeModule); return b[:HeaderLen+4] }), ErrLength},
		{"mfstart-body", mut(func(b []byte) []byte { b[13] = byte(TypeMFStart); return b }), ErrLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			testutil.True(t, m == nil, "message returned with an error")
		})
	}
}

func TestReadFrame(t *testing.T) {
	a := (&Message{Header: sampleHeader(TypePing)}).Encode(nil)
	p := (&Message{Header: sampleHeader(TypePublish), Publish: Publish{Channel: []byte("c"), Message: make([]byte, MaxFrameLen)}}).Encode(nil)
	stream := append(append(append([]byte(nil), a...), p...), a...)
	r := bytes.NewReader(stream)
	var buf []byte
	for i, want := range [][]byte{a, p, a} {
		f, err := ReadFrame(r, buf)
		testutil.NoErr(t, err)
		testutil.True(t, bytes.Equal(f, want), "frame differs")
		if i == 0 {
			_, err := Decode(f)
			testutil.NoErr(t, err)
		}
		buf = f[:0]
	}
	_, err := ReadFrame(r, buf)
	testutil.Equal(t, err, io.EOF)

	_, err = ReadFrame(bytes.NewReader(a[:100]), nil)
	testutil.Equal(t, err, io.ErrUnexpectedEOF)
	_, err = ReadFrame(bytes.NewReader([]byte("RCmbxxxxxxxxxxxxxxxx")), nil)
	testutil.True(t, errors.Is(err, ErrFrameLen), "huge totlen accepted")
	_, err = ReadFrame(bytes.NewReader([]byte("RCmb\x00\x00\x00\x10xxxxxxxx")), nil)
	testutil.True(t, errors.Is(err, ErrFrameLen), "short totlen accepted")
	_, err = ReadFrame(bytes.NewReader([]byte("HTTP/1.1 200 OK\r\n")), nil)
	testutil.True(t, errors.Is(err, ErrSignature), "bad signature accepted")
	big := (&Message{Header: sampleHeader(TypePing), Gossip: make([]Gossip, MaxFrameLen/GossipLen+1)}).Encode(nil)
	_, err = ReadFrame(bytes.NewReader(big), nil)
	testutil.True(t, errors.Is(err, ErrFrameLen), "oversized ping accepted")
}

func TestDecodeAllocs(t *testing.T) {
	c := loadCaptures(t)
	var frame []byte
	for _, x := range c {
		if x.name == "ping-hostname" {
			frame = x.frame
		}
	}
	var m Message
	n := testing.AllocsPerRun(100, func() { m = Message{}; m.decode(frame) })
	// Gossip and Exts slices, and the hostname string.
	testutil.True(t, n <= 3, "decode allocates more than its slices")
	dst := make([]byte, 0, 4096)
	n = testing.AllocsPerRun(100, func() { dst = m.Encode(dst[:0]) })
	testutil.Equal(t, n, 0.0)
}

func BenchmarkDecodePing(b *testing.B) {
	frame := loadCaptures(b)[0].frame
	for _, c := range loadCaptures(b) {
		if c.name == "ping-hostname" {
			frame = c.frame
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePing(b *testing.B) {
	var frame []byte
	for _, c := range loadCaptures(b) {
		if c.name == "ping-hostname" {
			frame = c.frame
		}
	}
	m, _ := Decode(frame)
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		dst = m.Encode(dst[:0])
	}
}
