#!/usr/bin/env bash
# EVALSHA benchmark: redis-server vs shoal-server, alternately, on this
# machine. The script runs three commands on one key (INCR, SET, GET);
# redis-benchmark sends it as a custom command with random keys, at -P 1 and
# -P 16. Prints throughput and server CPU per call (from /proc/PID/stat) and
# the shoal/redis ratios. A benchmark, not a test: numbers are noisy.
#
# Usage: scripts/bench-evalsha.sh [rounds]   (ports BENCH_PORT, +1; default 21780)
#   BENCH_SCRIPT overrides the script (KEYS[1] is a random key), e.g. one that
#   also writes an undeclared key, to measure Shoal's every-stripe re-runs.
set -euo pipefail
ROUNDS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server)
HZ=$(getconf CLK_TCK)
SCRIPT=${BENCH_SCRIPT:-"local v = redis.call('incr', KEYS[1]); redis.call('set', KEYS[1], v); return redis.call('get', KEYS[1])"}

start() { # name port
  local name=$1 port=$2 bin
  if [ "$name" = redis ]; then bin=redis-server; else bin="$WORK/shoal-server"; fi
  mkdir -p "$WORK/$name"
  "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

declare -A RPS CPU
run() { # name port pipeline requests
  local name=$1 port=$2 p=$3 n=$4 pid out t0 t1 rps sha
  pid=$(cat "$WORK/$name.pid")
  sha=$(redis-cli -p "$port" script load "$SCRIPT")
  t0=$(cpu_ticks "$pid")
  out=$(redis-benchmark -p "$port" -c 50 -r 100000 -n "$n" -P "$p" -q evalsha "$sha" 1 'key:__rand_int__' 2>"$WORK/bench.err" | tr '\r' '\n' | { grep 'requests per second' || true; } | tail -1)
  # A run that printed no result (redis-benchmark failed) is left out.
  [ -n "$out" ] || { echo "$name -P $p: no result: $(tail -2 "$WORK/bench.err")" >&2; return; }
  t1=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '{for(i=1;i<=NF;i++) if($i=="requests") print $(i-1)}')
  RPS[$name,$p]="${RPS[$name,$p]:-} $rps"
  CPU[$name,$p]="${CPU[$name,$p]:-} $(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$HZ" 'BEGIN{printf "%.3f", (b-a)/hz*1e6/n}')"
}

PORT=${BENCH_PORT:-21780}
start redis "$PORT"; start shoal $((PORT + 1))
redis-cli -p $((PORT + 1)) eval "$SCRIPT" 1 check >/dev/null
for r in $(seq "$ROUNDS"); do
  for name in redis shoal; do
    port=$PORT; [ $name = shoal ] && port=$((PORT + 1))
    run $name $port 1 100000
    run $name $port 16 400000
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf '%-4s %12s %12s %7s %10s %10s %7s\n' P redis_rps shoal_rps ratio redis_us shoal_us ratio
for p in 1 16; do
  r=$(echo "${RPS[redis,$p]}" | median); s=$(echo "${RPS[shoal,$p]}" | median)
  rc=$(echo "${CPU[redis,$p]}" | median); sc=$(echo "${CPU[shoal,$p]}" | median)
  awk -v p="$p" -v r="$r" -v s="$s" -v rc="$rc" -v sc="$sc" 'BEGIN{printf "%-4s %12.0f %12.0f %7.2f %10.2f %10.2f %7.2f\n", p, r, s, s/r, rc, sc, sc/rc}'
done
