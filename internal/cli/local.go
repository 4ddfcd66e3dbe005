package cli

import "github.com/shoal-db/shoal/internal/localcluster"

func runLocal(args []string) int { return localcluster.Main(args) }
