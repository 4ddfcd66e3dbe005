package clusterbus

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

func TestLinkPipe(t *testing.T) {
	a, b := net.Pipe()
	got := make(chan *Message, 4)
	drops := make(chan error, 4)
	la := NewLink(a, LinkConfig{})
	lb := NewLink(b, LinkConfig{
		OnMessage: func(_ *Link, m *Message) { got <- m },
		OnDrop:    func(_ *Link, err error) { drops <- err },
	})
	defer la.Close()
	defer lb.Close()
	bad := Message{Header: sampleHeader(TypePing)}
	bad.Header.Ver = 2
	testutil.NoErr(t, la.Send(&bad))
	testutil.NoErr(t, la.Send(&Message{Header: sampleHeader(TypeFail), Fail: Fail{NodeName: NameFrom("x")}}))
	select {
	case err := <-drops:
		testutil.True(t, errors.Is(err, ErrVersion), "wrong drop error")
	case <-time.After(5 * time.Second):
		t.Fatal("no drop")
	}
	select {
	case m := <-got:
		testutil.Equal(t, m.Header.Type, TypeFail)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	la.Close()
	select {
	case <-lb.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("peer did not notice close")
	}
	testutil.Equal(t, la.Send(&bad), ErrLinkClosed)
}

// TestInteropMeet proves the codec against a live redis-server 7.0.15: we
// send a MEET claiming to be a master at 127.0.0.1:<our port>; Redis must
// answer with a PONG on our link and then connect to our bus port and PING.
func TestInteropMeet(t *testing.T) {
	ports := pickPorts(t, 2)
	rp, our := ports[0], ports[1]
	r := startClusterRedis(t, rp, "--cluster-node-timeout", "2000")

	inbound := make(chan *Message, 16)
	ln, err := Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(our+10000)), LinkConfig{
		OnMessage: func(_ *Link, m *Message) { inbound <- m },
	}, func(l *Link) { t.Cleanup(func() { l.Close() }) })
	testutil.NoErr(t, err)
	defer ln.Close()

	replies := make(chan *Message, 16)
	link, err := Dial(net.JoinHostPort("127.0.0.1", strconv.Itoa(rp+10000)), LinkConfig{
		OnMessage: func(_ *Link, m *Message) { replies <- m },
	})
	testutil.NoErr(t, err)
	defer link.Close()

	me := NameFrom(fmt.Sprintf("%040x", time.Now().UnixNano()))
	meet := Message{Header: Header{Ver: ProtoVer, Type: TypeMeet, Port: uint16(our), CPort: uint16(our + 10000),
		Sender: me, Flags: NodeMaster}}
	testutil.NoErr(t, link.Send(&meet))

	wait := func(ch chan *Message, typ Type) *Message {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case m := <-ch:
				if m.Header.Type == typ {
					return m
				}
			case <-deadline:
				t.Fatalf("no %s from redis; link err %v\n%s", typ, link.Err(), r.logTail())
			}
		}
	}
	pong := wait(replies, TypePong)
	testutil.Equal(t, pong.Header.Sender.String(), r.id)
	testutil.Equal(t, int(pong.Header.Port), rp)
	testutil.Equal(t, int(pong.Header.CPort), rp+10000)
	ping := wait(inbound, TypePing)
	testutil.Equal(t, ping.Header.Sender.String(), r.id)
	checkFor(t, 10*time.Second, "redis knows us", func() bool { return r.clusterInfo("cluster_known_nodes") == "2" })
}
