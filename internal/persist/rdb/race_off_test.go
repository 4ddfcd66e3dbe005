//go:build !race

package rdb

// raceBuild is false in a plain build (race_on_test.go).
const raceBuild = false
