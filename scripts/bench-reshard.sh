#!/usr/bin/env bash
# Resharding benchmark: keys/s of the real `redis-cli --cluster reshard`
# moving SLOTS slots holding KEYS keys between two masters of a 3-master
# cluster, on a Redis-only cluster and on a Shoal-only one, on this machine,
# several rounds in alternating order (each run on a freshly created
# cluster). Prints each run, then the medians and the shoal/redis ratio,
# plus the server CPU (source + target) per key moved, from /proc/PID/stat.
# A benchmark, not a test: numbers are noisy on a shared machine.
#
# Usage: scripts/bench-reshard.sh [rounds]
#   BENCH_SLOTS (default 1000), BENCH_KEYS (default 100000), BENCH_VALUE
#   (value bytes, default 16), BENCH_PIPELINE (keys per MIGRATE, default 100),
#   BENCH_PORT (first port, default 21150; uses 6 ports and their +10000 bus ports)
set -euo pipefail
ROUNDS=${1:-3}
SLOTS=${BENCH_SLOTS:-1000}
KEYS=${BENCH_KEYS:-100000}
VALUE=${BENCH_VALUE:-16}
PIPELINE=${BENCH_PIPELINE:-100}
BASE=${BENCH_PORT:-21150}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 1; }
(cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server && go build -o "$WORK/slotkeys" ./tools/slotkeys)
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# cluster KIND BASEPORT: starts 3 masters, creates the cluster, loads the keys
# into slots 0..SLOTS-1 of the first. Sets NODEPIDS.
cluster() {
  local kind=$1 base=$2 bin p dir
  if [ "$kind" = redis ]; then bin=redis-server; else bin="$WORK/shoal-server"; fi
  NODEPIDS=()
  for i in 0 1 2; do
    p=$((base + i)); dir="$WORK/$kind-$p"; rm -rf "$dir"; mkdir -p "$dir"
    "$bin" --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
      --cluster-enabled yes --cluster-config-file nodes.conf >"$dir/log" 2>&1 &
    NODEPIDS+=($!); PIDS+=($!)
  done
  for i in 0 1 2; do
    for _ in $(seq 200); do redis-cli -p $((base + i)) ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  redis-cli --cluster create 127.0.0.1:$base 127.0.0.1:$((base + 1)) 127.0.0.1:$((base + 2)) \
    --cluster-yes >"$WORK/create.log" 2>&1 || { cat "$WORK/create.log"; exit 1; }
  for _ in $(seq 200); do
    ok=0
    for i in 0 1 2; do redis-cli -p $((base + i)) cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
    [ $ok = 3 ] && redis-cli --cluster check 127.0.0.1:$base 2>/dev/null | grep -q 'All nodes agree' && break
    sleep 0.1
  done
  "$WORK/slotkeys" -n "$KEYS" -lo 0 -hi $((SLOTS - 1)) -size "$VALUE" | redis-cli -p "$base" --pipe >/dev/null
  [ "$(redis-cli -p "$base" dbsize)" = "$KEYS" ] || { echo "$kind: load failed"; exit 1; }
}

stop_cluster() {
  for p in "${NODEPIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}

declare -A KPS US
run() { # kind
  local kind=$1 base=$BASE a b t0 t1 c0 c1 secs
  [ "$kind" = shoal ] && base=$((BASE + 3))
  cluster "$kind" "$base"
  a=$(redis-cli -p "$base" cluster myid); b=$(redis-cli -p $((base + 1)) cluster myid)
  c0=$(( $(cpu_ticks "${NODEPIDS[0]}") + $(cpu_ticks "${NODEPIDS[1]}") ))
  t0=$(date +%s.%N)
  redis-cli --cluster reshard 127.0.0.1:$base --cluster-from "$a" --cluster-to "$b" \
    --cluster-slots "$SLOTS" --cluster-yes --cluster-pipeline "$PIPELINE" >"$WORK/reshard.log" 2>&1 \
    || { tail -20 "$WORK/reshard.log"; exit 1; }
  t1=$(date +%s.%N)
  c1=$(( $(cpu_ticks "${NODEPIDS[0]}") + $(cpu_ticks "${NODEPIDS[1]}") ))
  [ "$(redis-cli -p $((base + 1)) dbsize)" = "$KEYS" ] || { echo "$kind: keys missing on the target"; exit 1; }
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
  KPS[$kind]="${KPS[$kind]:-} $(awk -v s="$secs" -v k="$KEYS" 'BEGIN{printf "%.0f", k/s}')"
  US[$kind]="${US[$kind]:-} $(awk -v a="$c0" -v b="$c1" -v k="$KEYS" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz*1e6/k}')"
  printf '%-6s %7.2fs  %8s keys/s  %6s us CPU/key\n' "$kind" "$secs" "${KPS[$kind]##* }" "${US[$kind]##* }"
  stop_cluster
}

echo "reshard of $SLOTS slots holding $KEYS keys ($VALUE-byte values), --cluster-pipeline $PIPELINE, $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then run redis; run shoal; else run shoal; run redis; fi
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
rk=$(echo "${KPS[redis]}" | median); sk=$(echo "${KPS[shoal]}" | median)
ru=$(echo "${US[redis]}" | median); su=$(echo "${US[shoal]}" | median)
printf '\n%-22s %10s %10s %7s\n' "" redis shoal ratio
printf '%-22s %10s %10s %7.2f\n' "keys/s (median)" "$rk" "$sk" "$(awk -v a="$sk" -v b="$rk" 'BEGIN{print a/b}')"
printf '%-22s %10s %10s %7.2f\n' "CPU us/key (median)" "$ru" "$su" "$(awk -v a="$su" -v b="$ru" 'BEGIN{print (b>0)?a/b:0}')"
echo "(keys/s ratio: shoal/redis, higher is better; CPU: source+target server CPU per key moved, lower is better)"
