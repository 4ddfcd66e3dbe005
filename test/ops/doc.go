// Package ops holds process tests of operating a node as Redis users do
// (Shoal issue #13): output-buffer limits, query-buffer limits, memory
// given back, side by side with a live redis-server.
package ops
