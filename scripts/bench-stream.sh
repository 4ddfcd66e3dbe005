#!/usr/bin/env bash
# Streams and HyperLogLog against redis-server (issue #16's ratios): XADD,
# XREADGROUP … COUNT 10 (10 new entries into the PELs per call) and PFADD
# on one dense HLL, ROUNDS alternating rounds of scripts/bench-vs-redis.sh
# (which describes the tests and prints rps and server CPU per request,
# with shoal/redis ratios), on ports 21060/21061, no memory check.
#
# Usage: scripts/bench-stream.sh [rounds] [tests]
#   rounds default 3; tests default "xadd,xreadgroup,pfadd"
# Environment: as bench-vs-redis.sh (BENCH_SHOAL_BIN, BENCH_N1, BENCH_N16…).
set -euo pipefail
export BENCH_PORT=${BENCH_PORT:-21060} BENCH_KEYS=${BENCH_KEYS:-0}
exec "$(dirname "$0")/bench-vs-redis.sh" "${1:-3}" "${2:-xadd,xreadgroup,pfadd}"
