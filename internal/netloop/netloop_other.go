//go:build !linux

package netloop

// Supported reports whether this platform has the event-loop transport.
const Supported = false
