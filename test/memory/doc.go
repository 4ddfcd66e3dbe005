// Package memory holds process tests of memory accounting and maxmemory:
// a 100 MB workload written into maxmemory 50mb under each of the eight
// policies, run the same way against shoal-server and redis-server 7.0.15
// and judged by what a user sees (INFO memory and stats, which keys are
// left, the OOM error, the AOF); used_memory against the RSS growth of a
// load; OBJECT IDLETIME/FREQ and RESTORE IDLETIME/FREQ beside Redis;
// unit/memefficiency's payload over used_memory ratios, round after round.
//
//	go test ./test/memory
package memory
