#!/usr/bin/env bash
# Side-by-side benchmark: redis-server vs shoal-server, alternately, on this
# machine. Prints shoal/redis ratios of throughput and of server CPU per
# request (from /proc/PID/stat), and bytes per key after loading keys with
# 16-byte values (RSS delta). A benchmark, not a test: numbers are noisy on
# small machines; CPU per request and bytes per key are the steady ones.
#
# Usage: scripts/bench-vs-redis.sh [rounds] [tests]
#   rounds: default 3; tests: default "set,get" (any redis-benchmark -t names:
#   lpush,hset,sadd,zadd,lrange_100 …, and the custom tests below: pfadd (one
#   dense HLL), pfadd_sparse (100000 small sparse HLLs), pfcount, xadd (XADD
#   xs * f <rand>), xreadgroup (XREADGROUP GROUP g c COUNT 10 STREAMS s >
#   on a stream re-made before each run with 10 entries per request and
#   group g at 0: every call delivers 10 new entries into the PELs, no empty
#   replies)); BENCH_KEYS (default 1000000) keys for the memory check, 0 to
#   skip it. The servers' order alternates from round to round; the load
#   average is printed before and after.
# Environment: BENCH_N1/BENCH_N16 requests per run with pipeline 1/16
#   (default 150000/1000000; xreadgroup uses a fifth of them, as each needs
#   ten stream entries made first); BENCH_SERVER_ARGS extra arguments for both servers (e.g.
#   "--appendonly yes --appendfsync everysec"); BENCH_PORT base port (default
#   16379; redis on it, shoal on the next); BENCH_SHOAL_BIN a prebuilt
#   shoal-server to use instead of building this tree (before/after runs);
#   BENCH_THREADS redis-benchmark's threads (default 1). At pipeline depth 1
#   one client thread saturates its core on a small machine (the cl_r/cl_s
#   columns show it), and the throughput ratio then measures the client.
#   With more than one thread redis-benchmark notices its end on a 250 ms
#   tick: give it BENCH_N1=2000000 or more, or the ratio is quantized.
set -euo pipefail
ROUNDS=${1:-3}
TESTS=${2:-set,get}
KEYS=${BENCH_KEYS:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
command -v redis-server >/dev/null || { echo "redis-server not installed (apt-get install -y redis-server redis-tools)"; exit 1; }
if [ -n "${BENCH_SHOAL_BIN:-}" ]; then cp "$BENCH_SHOAL_BIN" "$WORK/shoal-server"
else (cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server); fi
EXTRA=${BENCH_SERVER_ARGS:-}
RPORT=${BENCH_PORT:-16379}; SPORT=$((RPORT + 1))
HZ=$(getconf CLK_TCK)

start() { # name port -> pid
  local name=$1 port=$2 bin
  if [ "$name" = redis ]; then bin=redis-server; else bin="$WORK/shoal-server"; fi
  mkdir -p "$WORK/$name"
  # shellcheck disable=SC2086 # EXTRA is a list of arguments
  "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$name" $EXTRA >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop() { kill "$(cat "$WORK/$1.pid")" 2>/dev/null || true; wait "$(cat "$WORK/$1.pid")" 2>/dev/null || true; rm -f "$WORK/$1.pid"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

# bench_args test: redis-benchmark arguments for a -t test or a custom one.
bench_args() {
  case $1 in
    pfadd) echo "PFADD hll ele:__rand_int__" ;;
    pfadd_sparse) echo "PFADD hll:__rand_int__ ele:__rand_int__" ;;
    pfcount) echo "PFCOUNT hll" ;;
    xadd) echo "XADD xs * f __rand_int__" ;;
    xreadgroup) echo "XREADGROUP GROUP g c COUNT 10 STREAMS s >" ;;
    *) echo "-t $1" ;;
  esac
}

# requests test n: how many requests a run of test makes.
requests() { if [ "$1" = xreadgroup ]; then echo $(($2 / 5)); else echo "$2"; fi; }

# prepare port test n: the state a run of n requests of test starts from.
prepare() {
  local port=$1 t=$2 n=$3
  case $t in
    xadd) redis-cli -p "$port" DEL xs >/dev/null ;;
    xreadgroup)
      redis-cli -p "$port" DEL s >/dev/null
      redis-benchmark -p "$port" -c 10 -P 64 -n $(((n + 1) * 10)) -q XADD s '*' f v >/dev/null 2>&1
      redis-cli -p "$port" XGROUP CREATE s g 0 >/dev/null ;;
  esac
}

declare -A RPS CPU CL
THREADS=${BENCH_THREADS:-1}
run() { # name port test pipeline requests
  local name=$1 port=$2 t=$3 p=$4 n=$5 pid out t0 t1 rps
  pid=$(cat "$WORK/$name.pid")
  n=$(requests "$t" "$n")
  prepare "$port" "$t" "$n"
  t0=$(cpu_ticks "$pid")
  set -f # the command's words are split, not globbed (XADD's "*")
  # shellcheck disable=SC2046
  { TIMEFORMAT='%R %U %S'; time redis-benchmark -p "$port" -c 50 --threads "$THREADS" -r 100000 -n "$n" -P "$p" -q $(bench_args "$t") >"$WORK/bench.out" 2>/dev/null; } 2>"$WORK/bench.time"
  set +f
  out=$(tr '\r' '\n' <"$WORK/bench.out" | grep 'requests per second' | tail -1)
  CL[$name,$t,$p]="${CL[$name,$t,$p]:-} $(awk '{printf "%.2f", ($2+$3)/$1}' "$WORK/bench.time")"
  t1=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '{for(i=1;i<=NF;i++) if($i=="requests") print $(i-1)}')
  RPS[$name,$t,$p]="${RPS[$name,$t,$p]:-} $rps"
  CPU[$name,$t,$p]="${CPU[$name,$t,$p]:-} $(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$HZ" 'BEGIN{printf "%.3f", (b-a)/hz*1e6/n}')"
}

N1=${BENCH_N1:-150000}; N16=${BENCH_N16:-1000000}
echo "load before: $(uptime)"
start redis $RPORT; start shoal $SPORT
for r in $(seq "$ROUNDS"); do
  order="redis shoal"; [ $((r % 2)) -eq 0 ] && order="shoal redis"
  for t in ${TESTS//,/ }; do
    for name in $order; do
      port=$RPORT; [ $name = shoal ] && port=$SPORT
      run $name $port "$t" 1 "$N1"
      run $name $port "$t" 16 "$N16"
    done
  done
done
echo "load after:  $(uptime)"

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf '%-10s %-4s %12s %12s %7s %10s %10s %7s %6s %6s\n' test P redis_rps shoal_rps ratio redis_us shoal_us ratio cl_r cl_s
for t in ${TESTS//,/ }; do
  for p in 1 16; do
    rr=$(echo "${RPS[redis,$t,$p]}" | median); sr=$(echo "${RPS[shoal,$t,$p]}" | median)
    rc=$(echo "${CPU[redis,$t,$p]}" | median); sc=$(echo "${CPU[shoal,$t,$p]}" | median)
    cr=$(echo "${CL[redis,$t,$p]}" | median); cs=$(echo "${CL[shoal,$t,$p]}" | median)
    printf '%-10s %-4s %12s %12s %7.2f %10s %10s %7.2f %6s %6s\n' "$t" "$p" "$rr" "$sr" "$(awk -v a="$sr" -v b="$rr" 'BEGIN{print a/b}')" "$rc" "$sc" "$(awk -v a="$sc" -v b="$rc" 'BEGIN{print (b>0)?a/b:0}')" "$cr" "$cs"
  done
done
echo "(rps: median requests/s; us: server CPU microseconds per request; ratio: shoal/redis;"
echo " cl_r/cl_s: redis-benchmark's own CPU use in cores against each server, median: near"
echo " $THREADS.00 the client, not the server, sets the throughput (BENCH_THREADS gives it more threads))"

# Memory: bytes per key after loading KEYS keys with 16-byte values (BENCH_KEYS=0 skips).
[ "$KEYS" -gt 0 ] || exit 0
for name in redis shoal; do
  stop $name
  port=$RPORT; [ $name = shoal ] && port=$SPORT
  start $name $port
  pid=$(cat "$WORK/$name.pid")
  before=$(rss_kb "$pid")
  redis-benchmark -p $port -c 50 -P 16 -r 1000000000 -n "$KEYS" -d 16 -t set -q >/dev/null 2>&1
  sleep 1
  after=$(rss_kb "$pid")
  keys=$(redis-cli -p $port dbsize)
  bpk=$(awk -v a="$after" -v b="$before" -v k="$keys" 'BEGIN{printf "%.1f", (a-b)*1024/k}')
  eval "BPK_$name=$bpk"
  echo "$name: $keys keys, RSS delta $(( (after-before)/1024 )) MiB, $bpk bytes/key"
done
awk -v s="$BPK_shoal" -v r="$BPK_redis" 'BEGIN{printf "bytes/key ratio shoal/redis: %.2f\n", s/r}'
