package clusterbus

import (
	"fmt"
	"io"
)

// Frame size limits for ReadFrame. Redis 7.0 itself has no upper bound: it
// allocates whatever totlen asks for. A bound keeps one bad peer from making
// us allocate gigabytes.
const (
	// MaxFrameLen bounds every type but PUBLISH, PUBLISHSHARD and MODULE.
	// 1 MiB holds a PING with about 10,000 gossip entries; Redis sends
	// roughly a tenth of the cluster's nodes per PING.
	MaxFrameLen = 1 << 20
	// MaxBulkFrameLen bounds PUBLISH, PUBLISHSHARD and MODULE, whose payload
	// is user data (a channel and a message of up to proto-max-bulk-len,
	// 512 MiB, each).
	MaxBulkFrameLen = 1<<30 + HeaderLen + 16
)

// frameLimits are ReadFrame's bounds; Link config may override them.
type frameLimits struct {
	max, bulkMax int
}

var defaultLimits = frameLimits{MaxFrameLen, MaxBulkFrameLen}

// prefixLen is how much ReadFrame reads before trusting totlen: signature,
// totlen, ver, port, type, count. Every valid frame is longer.
const prefixLen = 16

// ReadFrame reads one message from r into buf (grown if too small) and
// returns it, ready for Decode. Like Redis's clusterReadHandler it checks the
// signature and that totlen is at least HeaderLen before reading on, and it
// also rejects frames longer than MaxFrameLen (MaxBulkFrameLen for PUBLISH,
// PUBLISHSHARD and MODULE). ErrSignature and ErrFrameLen mean the stream
// cannot be trusted any more; the caller should close it. An EOF inside a
// frame is io.ErrUnexpectedEOF, an EOF between frames io.EOF.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	return readFrame(r, buf, defaultLimits)
}

func readFrame(r io.Reader, buf []byte, lim frameLimits) ([]byte, error) {
	if cap(buf) < prefixLen {
		buf = make([]byte, 0, HeaderLen)
	}
	b := buf[:8]
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if [4]byte(b[0:4]) != Signature {
		return nil, fmt.Errorf("%w: %q", ErrSignature, b[0:4])
	}
	totlen := int64(be.Uint32(b[4:]))
	if totlen < HeaderLen {
		return nil, fmt.Errorf("%w: totlen %d below %d", ErrFrameLen, totlen, HeaderLen)
	}
	b = buf[:prefixLen]
	if _, err := io.ReadFull(r, b[8:]); err != nil {
		return nil, noEOF(err)
	}
	limit := lim.max
	switch Type(be.Uint16(b[offType:])) {
	case TypePublish, TypePublishShard, TypeModule:
		limit = lim.bulkMax
	}
	if totlen > int64(limit) {
		return nil, fmt.Errorf("%w: totlen %d above %d for type %s",
			ErrFrameLen, totlen, limit, Type(be.Uint16(b[offType:])))
	}
	if int64(cap(buf)) < totlen {
		nb := make([]byte, totlen)
		copy(nb, b)
		buf = nb
	}
	b = buf[:totlen]
	if _, err := io.ReadFull(r, b[prefixLen:]); err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
