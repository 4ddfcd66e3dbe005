package server

import (
	"net"
	"testing"
)

// Redis's islocalClient: a unix socket, or exactly 127.0.0.1 or ::1.
func TestIsLocalAddr(t *testing.T) {
	cases := []struct {
		a    net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5}, true},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 5}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 5}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.2"), Port: 5}, false},
		{&net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 5}, false},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 5}, false},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, true},
	}
	for _, c := range cases {
		if got := isLocalAddr(c.a); got != c.want {
			t.Errorf("isLocalAddr(%v) = %v, want %v", c.a, got, c.want)
		}
	}
}
