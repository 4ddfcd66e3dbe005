//go:build race

package rdb

// raceBuild: the race detector's sync.Pool drops a share of what is put
// back at random, so allocation counts are not the code's own.
const raceBuild = true
