// Command loadkeys fills a cluster with N string keys ("key:0".."key:N-1",
// spread over all slots) through the public client package: keys are
// grouped by the node owning their slot and sent in pipelines of 1000.
// scripts/bench-cli-reshard.sh uses it.
//
//	go run ./tools/loadkeys -addr 127.0.0.1:7001 -n 1000000 -size 16
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/client"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7001", "any cluster node")
	n := flag.Int("n", 100000, "number of keys")
	size := flag.Int("size", 16, "value size in bytes")
	flag.Parse()
	cl := client.NewCluster([]string{*addr}, client.ClusterOptions{})
	m, err := cl.Slots()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadkeys:", err)
		os.Exit(1)
	}
	byNode := map[string][]string{}
	for i := 0; i < *n; i++ {
		k := "key:" + strconv.Itoa(i)
		o := m.Owner[client.KeySlot(k)]
		byNode[o] = append(byNode[o], k)
	}
	val := strings.Repeat("v", *size)
	done := make(chan error, len(byNode))
	for a, keys := range byNode {
		go func() {
			c, err := client.Dial(a, 5*time.Second)
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			for len(keys) > 0 {
				batch := keys[:min(1000, len(keys))]
				keys = keys[len(batch):]
				cmds := make([][]string, len(batch))
				for i, k := range batch {
					cmds[i] = []string{"SET", k, val}
				}
				rs, err := c.Pipeline(cmds)
				if err != nil {
					done <- err
					return
				}
				for _, r := range rs {
					if r.IsError() {
						done <- fmt.Errorf("%s: %s", a, r.Str)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range byNode {
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "loadkeys:", err)
			os.Exit(1)
		}
	}
}
