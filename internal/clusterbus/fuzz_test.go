package clusterbus

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode: Decode never panics, and an accepted frame is a fixpoint:
// decode(encode(decode(x))) == decode(x). Seeds are the frames captured from
// Redis 7.0.15 plus synthetic ones for what 7.0 does not send.
func FuzzDecode(f *testing.F) {
	for _, c := range loadCaptures(f) {
		f.Add(c.frame)
	}
	peer := NameFrom("abcdefabcdefabcdefabcdefabcdefabcdefabcd")
	for _, m := range []Message{
		{Header: sampleHeader(TypePong), Exts: []Ext{{Type: ExtForgottenNode, Name: peer, TTL: 9}, {Type: ExtShardID, Name: peer}, {Type: 7, Raw: make([]byte, 8)}}},
		{Header: sampleHeader(TypePing), Exts: []Ext{{Type: ExtHostname, Hostname: "n1"}, {Type: ExtShoalWaitAcked, Offset: 99}}},
		{Header: sampleHeader(TypeModule), Module: Module{ModuleID: 1, Type: 2, Payload: []byte("p")}},
	} {
		f.Add(m.Encode(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		enc := m.Encode(nil)
		if len(enc) != m.Len() {
			t.Fatalf("Encode wrote %d bytes, Len says %d", len(enc), m.Len())
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded frame rejected: %v", err)
		}
		if !reflect.DeepEqual(normalize(m), normalize(m2)) {
			t.Fatalf("round trip changed the message\n%+v\n%+v", m, m2)
		}
		if !bytes.Equal(m2.Encode(nil), enc) {
			t.Fatal("second encoding differs")
		}
	})
}

// normalize clears the difference between nil and empty byte slices, which
// Encode does not preserve and no caller can observe.
func normalize(m *Message) *Message {
	c := *m
	if len(c.Publish.Channel) == 0 {
		c.Publish.Channel = nil
	}
	if len(c.Publish.Message) == 0 {
		c.Publish.Message = nil
	}
	if len(c.Module.Payload) == 0 {
		c.Module.Payload = nil
	}
	c.Exts = append([]Ext(nil), m.Exts...)
	for i := range c.Exts {
		if len(c.Exts[i].Raw) == 0 {
			c.Exts[i].Raw = nil
		}
	}
	return &c
}

// FuzzExt: one ping extension on its own (header and payload, the part of
// a PING that carries Shoal's WAIT-acked offset): decodeExt never panics,
// and an accepted extension re-encodes to the bytes it was read from, up
// to the padding the decoder skips.
func FuzzExt(f *testing.F) {
	for _, e := range []Ext{
		{Type: ExtShoalWaitAcked, Offset: 12345},
		{Type: ExtShoalWaitAcked, Offset: 1<<64 - 1},
		{Type: ExtHostname, Hostname: "node-1"},
		{Type: ExtForgottenNode, Name: NameFrom("abcdefabcdefabcdefabcdefabcdefabcdefabcd"), TTL: 7},
		{Type: ExtShardID, Name: NameFrom("abcdefabcdefabcdefabcdefabcdefabcdefabcd")},
		{Type: 9, Raw: []byte("12345678")},
	} {
		f.Add(appendExt(nil, &e))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Ext
		n, err := decodeExt(&e, b)
		if err != nil {
			return
		}
		if n < ExtHeaderLen || n > len(b) || n%8 != 0 {
			t.Fatalf("decodeExt consumed %d of %d bytes", n, len(b))
		}
		enc := appendExt(nil, &e)
		var e2 Ext
		if _, err := decodeExt(&e2, enc); err != nil {
			t.Fatalf("re-encoded extension rejected: %v", err)
		}
		if e.Type == ExtShoalWaitAcked && (len(enc) != n || !bytes.Equal(enc[8:], b[8:n]) || e2.Offset != e.Offset) {
			t.Fatalf("wait-acked extension changed: %x -> %x", b[:n], enc)
		}
		if !reflect.DeepEqual(normalizeExt(e), normalizeExt(e2)) {
			t.Fatalf("round trip changed the extension\n%+v\n%+v", e, e2)
		}
	})
}

func normalizeExt(e Ext) Ext {
	if len(e.Raw) == 0 {
		e.Raw = nil
	}
	return e
}
