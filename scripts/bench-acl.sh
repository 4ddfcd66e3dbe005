#!/usr/bin/env bash
# ACL cost on the hot path: server CPU per request of redis-benchmark
# SET/GET -P16 against redis-server, a shoal-server built before ACL
# (BENCH_OLD_BIN, optional) and this tree's shoal-server, as the default
# user and as an ACL user (~key:* +@all -@dangerous, so every command takes
# the permission check). Servers run one at a time, alternately, ROUNDS
# times; the median CPU per request is printed with shoal/redis ratios.
# A benchmark, not a test: wall throughput is noisy on shared machines, CPU
# per request (from /proc/PID/stat) is the steady figure.
#
# Usage: scripts/bench-acl.sh [rounds] [requests]
# Environment: BENCH_PORT (default 21100), BENCH_OLD_BIN, PIPE (default 16).
set -euo pipefail
ROUNDS=${1:-3}
N=${2:-400000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/shoal-new" ./cmd/shoal-server)
PORT=${BENCH_PORT:-21100}
HZ=$(getconf CLK_TCK)
SERVERS="redis new"
[ -n "${BENCH_OLD_BIN:-}" ] && { cp "$BENCH_OLD_BIN" "$WORK/shoal-old"; SERVERS="redis old new"; }

start() {
  local bin=redis-server
  [ "$1" != redis ] && bin="$WORK/shoal-$1"
  mkdir -p "$WORK/$1"
  "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$1" >"$WORK/$1.log" 2>&1 &
  echo $! >"$WORK/$1.pid"
  for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
  redis-cli -p "$PORT" ACL SETUSER app on '>pw' '~key:*' +@all -@dangerous >/dev/null 2>&1 || true
}
stop() { kill "$(cat "$WORK/$1.pid")"; wait "$(cat "$WORK/$1.pid")" 2>/dev/null || true; rm -f "$WORK/$1.pid"; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

declare -A RES
for r in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    start "$s"
    pid=$(cat "$WORK/$s.pid")
    for who in default app; do
      [ "$s" = old ] && [ "$who" = app ] && continue
      auth=""
      [ "$who" = app ] && auth="--user app -a pw"
      for t in set get; do
        t0=$(ticks "$pid")
        # shellcheck disable=SC2086
        redis-benchmark -p "$PORT" $auth -c 50 -r 100000 -n "$N" -P "${PIPE:-16}" -q -t "$t" >/dev/null 2>&1
        t1=$(ticks "$pid")
        RES[$s.$who.$t]+="$(awk -v a="$t0" -v b="$t1" -v n="$N" -v hz="$HZ" 'BEGIN{printf "%.3f", (b-a)/hz*1e6/n}') "
      done
    done
    stop "$s"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf "%-8s %-8s %-4s %14s %10s\n" server user test "cpu_us/req" "vs_redis"
for who in default app; do
  for t in set get; do
    rm=$(echo "${RES[redis.$who.$t]}" | median)
    for s in $SERVERS; do
      [ -z "${RES[$s.$who.$t]:-}" ] && continue
      m=$(echo "${RES[$s.$who.$t]}" | median)
      printf "%-8s %-8s %-4s %14s %10s\n" "$s" "$who" "$t" "$m" "$(awk -v a="$m" -v b="$rm" 'BEGIN{printf "%.2f", a/b}')"
    done
  done
done
