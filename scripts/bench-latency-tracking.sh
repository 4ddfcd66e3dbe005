#!/usr/bin/env bash
# Cost of latency tracking (latency-tracking yes, Redis's default: one
# histogram add per command) on the hot path: server CPU per request of
# redis-benchmark SET/GET -P16 against redis-server, a shoal-server built
# before it (BENCH_OLD_BIN, optional) and this tree's shoal-server with
# tracking on and off. Servers run one at a time, alternately, ROUNDS
# times; the median CPU per request (µs, from /proc/PID/stat) is printed.
#
# Usage: scripts/bench-latency-tracking.sh [rounds] [requests]
# Environment: BENCH_PORT (default 21300), BENCH_OLD_BIN.
set -euo pipefail
ROUNDS=${1:-3}
N=${2:-400000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/shoal-new" ./cmd/shoal-server)
PORT=${BENCH_PORT:-21300}
HZ=$(getconf CLK_TCK)
SERVERS="redis new-on new-off"
[ -n "${BENCH_OLD_BIN:-}" ] && { cp "$BENCH_OLD_BIN" "$WORK/shoal-old"; SERVERS="redis old new-on new-off"; }

start() {
  local bin=redis-server track=yes
  case $1 in
  old) bin="$WORK/shoal-old" ;;
  new-on) bin="$WORK/shoal-new" ;;
  new-off) bin="$WORK/shoal-new" track=no ;;
  esac
  mkdir -p "$WORK/$1"
  local extra=()
  [ "$1" != old ] && extra=(--latency-tracking "$track")
  "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$1" "${extra[@]}" >"$WORK/$1.log" 2>&1 &
  echo $! >"$WORK/$1.pid"
  for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop() { kill "$(cat "$WORK/$1.pid")"; wait "$(cat "$WORK/$1.pid")" 2>/dev/null || true; rm -f "$WORK/$1.pid"; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

declare -A RES
for r in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    start "$s"
    pid=$(cat "$WORK/$s.pid")
    t0=$(ticks "$pid")
    redis-benchmark -p "$PORT" -n "$N" -P 16 -c 50 -t set,get -q >/dev/null
    t1=$(ticks "$pid")
    RES[$s]+="$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n=$((2 * N)) 'BEGIN{printf "%.3f", d/hz*1e6/n}') "
    stop "$s"
  done
done
med() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
R=$(echo "${RES[redis]}" | med)
for s in $SERVERS; do
  m=$(echo "${RES[$s]}" | med)
  printf "%-8s cpu/request %s us  (runs: %s)  vs redis %.2fx\n" "$s" "$m" "${RES[$s]}" "$(awk -v a="$m" -v b="$R" 'BEGIN{print a/b}')"
done
