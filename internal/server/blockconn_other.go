//go:build !linux

package server

import "net"

// blockingConn exists on Linux only; elsewhere the link stays a net.Conn.
type blockingConn struct{ net.Conn }

func blockingLink(net.Conn) (*blockingConn, bool) { return nil, false }
