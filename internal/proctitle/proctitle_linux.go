//go:build linux

package proctitle

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// maxTitle is Redis's SPT_MAXTITLE.
const maxTitle = 255

var (
	mu sync.Mutex
	// area is the memory the kernel shows as the command line, from
	// argv[0] to the end of the environment strings after it; nil when
	// Init found it unusable.
	area []byte
	// argNul is the index in area of the NUL that ended the last argument:
	// the kernel shows the title alone (up to its first NUL) only when that
	// byte is not NUL.
	argNul int
	// dirty is how much of area a title has written (title and its NUL).
	dirty int
)

// Init takes over the command line's memory. It must run first in main,
// before anything keeps a string of os.Args: those point into the memory
// Set overwrites, so they are moved to Go memory here. (Go copied the
// environment at start; only C's environ, which cgo code would read, still
// points there, and Set writes over it only for a title longer than the
// command line.)
func Init() {
	mu.Lock()
	defer mu.Unlock()
	if area != nil || len(os.Args) == 0 {
		return
	}
	argStart, argEnd, envStart, envEnd, ok := cmdlineBounds()
	base := unsafe.StringData(os.Args[0])
	// The arguments must be where the kernel says, back to back.
	if !ok || uintptr(unsafe.Pointer(base)) != argStart {
		return
	}
	next := argStart
	for i, a := range os.Args {
		if uintptr(unsafe.Pointer(unsafe.StringData(a))) != next {
			return
		}
		next += uintptr(len(a)) + 1
		os.Args[i] = strings.Clone(a)
	}
	if next != argEnd {
		return
	}
	end := argEnd
	if envStart == argEnd && envEnd > envStart {
		end = envEnd
	}
	area = unsafe.Slice(base, int(end-argStart))
	argNul = int(argEnd - argStart - 1)
}

// cmdlineBounds reads the command line's and environment's addresses from
// /proc/self/stat (fields 48-51, Linux 3.5 and later).
func cmdlineBounds() (argStart, argEnd, envStart, envEnd uintptr, ok bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, 0, 0, false
	}
	// Field 2 (the name, in parentheses) may hold spaces: count from after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 49 {
		return 0, 0, 0, 0, false
	}
	var v [4]uintptr
	for k := range v {
		n, err := strconv.ParseUint(f[45+k], 10, 64)
		if err != nil || n == 0 {
			return 0, 0, 0, 0, false
		}
		v[k] = uintptr(n)
	}
	if v[1] <= v[0] || v[3] < v[2] {
		return 0, 0, 0, 0, false
	}
	return v[0], v[1], v[2], v[3], true
}

// Set shows title (at most 255 bytes, and no more than the area holds) as
// the process's command line, as Redis's setproctitle does.
func Set(title string) {
	mu.Lock()
	defer mu.Unlock()
	if area == nil {
		return
	}
	// The command line is cleared whole; of the environment only what a
	// title wrote.
	n := min(len(title), min(maxTitle+1, len(area))-1)
	dirty = max(dirty, argNul+1, n+1)
	clear(area[:dirty])
	copy(area, title[:n])
	switch {
	case n < argNul:
		area[argNul] = '.'
	case n == argNul && n+1 < len(area):
		area[argNul] = ' '
		area[n+1] = 0
		dirty = max(dirty, n+2)
	}
}
