#!/usr/bin/env bash
# Streams and HyperLogLog benchmark: redis-benchmark against redis-server
# and shoal-server side by side, ROUNDS alternating rounds, printing the
# median throughput and server CPU per request (/proc/PID/stat) of each,
# with shoal/redis ratios. A benchmark, not a test: on a shared machine
# wall throughput is noisy (the load average is printed); CPU per request
# is the steadier figure.
#
# Tests (each round, each server, -c 50, pipelines 1 and 16):
#   xadd        XADD xs * f <rand>            (xs deleted before each run)
#   xreadgroup  XREADGROUP GROUP g c COUNT 10 STREAMS s >
#               s holds N*10 entries, re-made before each run (group g at
#               0), so every call reads 10 new entries and adds them to the
#               PEL: the same work in every run, no empty replies
#   pfadd       PFADD hll ele:<rand>          (one dense HLL)
#
# Usage: scripts/bench-stream.sh [rounds] [tests]
#   rounds default 3; tests default "xadd,xreadgroup,pfadd"
# Environment: BENCH_PORT (default 21060: redis on it, shoal on the next),
#   BENCH_SHOAL_BIN a prebuilt shoal-server instead of building this tree,
#   BENCH_N requests per run with pipeline 1 (default 50000; x4 with -P 16).
set -euo pipefail
ROUNDS=${1:-3}
TESTS=${2:-xadd,xreadgroup,pfadd}
N1=${BENCH_N:-50000}
N16=$((N1 * 4))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'for p in $(cat "$WORK"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 1; }
if [ -n "${BENCH_SHOAL_BIN:-}" ]; then cp "$BENCH_SHOAL_BIN" "$WORK/shoal-server"
else (cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server); fi
RPORT=${BENCH_PORT:-21060}; SPORT=$((RPORT + 1))
HZ=$(getconf CLK_TCK)

start() { # name port
  local name=$1 port=$2 bin=redis-server
  [ "$name" = shoal ] && bin="$WORK/shoal-server"
  mkdir -p "$WORK/$name"
  "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# prepare port test n: state a run of n requests starts from.
prepare() {
  local port=$1 t=$2 n=$3
  case $t in
    xadd) redis-cli -p "$port" DEL xs >/dev/null ;;
    xreadgroup)
      redis-cli -p "$port" DEL s >/dev/null
      # n*10 entries (+1 spare call's worth) via pipelined XADDs.
      redis-benchmark -p "$port" -c 10 -P 64 -n $(( (n + 1) * 10 )) -q XADD s '*' f v >/dev/null 2>&1
      redis-cli -p "$port" XGROUP CREATE s g 0 >/dev/null ;;
  esac
}
bench_args() {
  case $1 in
    xadd) echo "XADD xs * f __rand_int__" ;;
    xreadgroup) echo "XREADGROUP GROUP g c COUNT 10 STREAMS s >" ;;
    pfadd) echo "PFADD hll ele:__rand_int__" ;;
  esac
}

declare -A RPS CPU
run() { # name port test pipeline requests
  local name=$1 port=$2 t=$3 p=$4 n=$5 pid out t0 t1 rps
  pid=$(cat "$WORK/$name.pid")
  prepare "$port" "$t" "$n"
  t0=$(cpu_ticks "$pid")
  set -f # the command's words are split, not globbed (XADD's "*")
  # shellcheck disable=SC2046
  out=$(redis-benchmark -p "$port" -c 50 -r 100000 -n "$n" -P "$p" -q $(bench_args "$t") 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1)
  set +f
  t1=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '{for(i=1;i<=NF;i++) if($i=="requests") print $(i-1)}')
  RPS[$name,$t,$p]="${RPS[$name,$t,$p]:-} $rps"
  CPU[$name,$t,$p]="${CPU[$name,$t,$p]:-} $(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$HZ" 'BEGIN{printf "%.3f", (b-a)/hz*1e6/n}')"
}

echo "load before: $(uptime)"
start redis "$RPORT"; start shoal "$SPORT"
for r in $(seq "$ROUNDS"); do
  for t in ${TESTS//,/ }; do
    order="redis shoal"; [ $((r % 2)) -eq 0 ] && order="shoal redis"
    for name in $order; do
      port=$RPORT; [ "$name" = shoal ] && port=$SPORT
      run "$name" "$port" "$t" 1 "$N1"
      run "$name" "$port" "$t" 16 "$N16"
    done
  done
done
echo "load after:  $(uptime)"

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf '%-11s %-3s %11s %11s %6s %9s %9s %6s\n' test P redis_rps shoal_rps ratio redis_us shoal_us ratio
for t in ${TESTS//,/ }; do
  for p in 1 16; do
    rr=$(echo "${RPS[redis,$t,$p]}" | median); sr=$(echo "${RPS[shoal,$t,$p]}" | median)
    rc=$(echo "${CPU[redis,$t,$p]}" | median); sc=$(echo "${CPU[shoal,$t,$p]}" | median)
    printf '%-11s %-3s %11s %11s %6.2f %9s %9s %6.2f\n' "$t" "$p" "$rr" "$sr" \
      "$(awk -v a="$sr" -v b="$rr" 'BEGIN{print (b>0)?a/b:0}')" "$rc" "$sc" "$(awk -v a="$sc" -v b="$rc" 'BEGIN{print (b>0)?a/b:0}')"
  done
done
echo "(rps: median requests/s, ratio shoal/redis (higher is better); us: server CPU µs per request, ratio shoal/redis (lower is better))"
