// Command shoal-cli is a drop-in for redis-cli 7.0.15 (flags, output,
// --cluster manager), plus --cluster-local to run a local cluster.
package main

import (
	"os"

	"github.com/shoal-db/shoal/internal/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
