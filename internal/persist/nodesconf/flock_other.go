//go:build !unix

package nodesconf

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("would block")

func flock(*os.File) error { return errors.ErrUnsupported }
