// Package cli is shoal-cli's client side: redis-cli 7.0.15's options, its
// one-shot, piped and interactive modes, its reply formatting (tty, raw, csv)
// and its special modes (--pipe, --scan, --bigkeys, --stat, --latency).
// The --cluster manager lives in internal/clustermgr; Run hands over to it.
//
// Output is meant to be byte-for-byte what redis-cli prints for the same
// invocation; the tests run both binaries side by side.
package cli
