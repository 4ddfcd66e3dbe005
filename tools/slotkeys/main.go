// Command slotkeys writes RESP SET commands for keys whose hash slots lie
// in a range, for loading a cluster node with `redis-cli --pipe` (used by
// scripts/bench-reshard.sh).
//
//	slotkeys -n 100000 -lo 0 -hi 999 -size 16 | redis-cli -p 7000 --pipe
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/shoal-db/shoal/internal/slot"
)

func main() {
	n := flag.Int("n", 100000, "number of keys")
	lo := flag.Int("lo", 0, "lowest slot")
	hi := flag.Int("hi", 999, "highest slot")
	size := flag.Int("size", 16, "value size in bytes")
	prefix := flag.String("prefix", "key:", "key prefix")
	flag.Parse()
	if *lo < 0 || *hi >= slot.Count || *lo > *hi || *n < 0 || *size < 0 {
		fmt.Fprintln(os.Stderr, "slotkeys: bad range, count or size")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	val := make([]byte, *size)
	for i := range val {
		val[i] = 'x'
	}
	for i, made := 0, 0; made < *n; i++ {
		k := *prefix + strconv.Itoa(i)
		if s := slot.OfString(k); s < *lo || s > *hi {
			continue
		}
		fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(val), val)
		made++
	}
}
