#!/usr/bin/env bash
# Reshard benchmark: moves SLOTS slots (default 1000) holding part of KEYS
# keys (default 1000000) from three masters to an empty fourth master of a
# redis-server cluster, with redis-cli and with shoal-cli
# --cluster-parallel, each on a freshly built cluster with the same data,
# and prints keys/s and the ratio. The machine is shared and its load
# moves by the minute, so it runs ROUNDS rounds (default 3), alternating
# which client goes first, prints the load average beside every run and
# reports each round's ratio, the median and the lowest.
#
#   scripts/bench-cli-reshard.sh            # 1000 slots, 1M keys, 3 rounds
#   SLOTS=200 KEYS=200000 ROUNDS=1 scripts/bench-cli-reshard.sh
# Env: BASE (first port, default 21580; ports BASE..BASE+3 and their +10000
# bus ports must be free), PARALLEL (default 8), PLAIN=1 (also run plain
# shoal-cli, which sends redis-cli's exact commands), SERVER (default
# redis-server; SERVER=shoal runs the freshly built shoal-server).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLOTS=${SLOTS:-1000}
KEYS=${KEYS:-1000000}
BASE=${BASE:-21580}
PARALLEL=${PARALLEL:-8}
ROUNDS=${ROUNDS:-3}
PLAIN=${PLAIN:-0}
SERVER=${SERVER:-redis-server}
WORK=$(mktemp -d)
BIN=$WORK/bin
(cd "$ROOT" && go build -o "$BIN/" ./cmd/shoal-cli ./cmd/shoal-server ./tools/loadkeys)
[ "$SERVER" = shoal ] && SERVER=$BIN/shoal-server
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

start_cluster() {
  PIDS=()
  for i in 0 1 2 3; do
    p=$((BASE + i)); d=$WORK/n$p; rm -rf "$d"; mkdir -p "$d"
    (cd "$d" && exec setsid "$SERVER" --port $p --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file nodes.conf --save "" --appendonly no --daemonize no \
      --logfile "$d/log" </dev/null >/dev/null 2>&1) &
    PIDS+=($!)
  done
  for i in 0 1 2 3; do
    for _ in $(seq 100); do redis-cli -p $((BASE + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  "$BIN/shoal-cli" --cluster create 127.0.0.1:$BASE 127.0.0.1:$((BASE+1)) 127.0.0.1:$((BASE+2)) --cluster-yes >/dev/null
  "$BIN/shoal-cli" --cluster add-node 127.0.0.1:$((BASE+3)) 127.0.0.1:$BASE >/dev/null
  for _ in $(seq 300); do
    "$BIN/shoal-cli" --cluster check 127.0.0.1:$BASE 2>/dev/null | grep -q "All nodes agree" &&
      [ "$(redis-cli -p $((BASE+3)) cluster info | grep -c 'cluster_known_nodes:4')" = 1 ] && break
    sleep 0.2
  done
  for i in 0 1 2 3; do
    for _ in $(seq 300); do redis-cli -p $((BASE + i)) cluster info | grep -q 'cluster_state:ok' && break; sleep 0.1; done
  done
  timeout 300 "$BIN/loadkeys" -addr 127.0.0.1:$BASE -n "$KEYS" -size 16
}

stop_cluster() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  PIDS=()
}

# run NAME CMD...: reshard with CMD, print keys moved and keys/s.
run() {
  local name=$1; shift
  start_cluster
  local total=0
  for i in 0 1 2 3; do total=$((total + $(redis-cli -p $((BASE+i)) dbsize))); done
  local to; to=$(redis-cli -p $((BASE+3)) cluster myid)
  local t0 t1; t0=$(date +%s.%N)
  "$@" --cluster reshard 127.0.0.1:$BASE --cluster-from all --cluster-to "$to" \
    --cluster-slots "$SLOTS" --cluster-yes >"$WORK/$name.out" 2>&1
  t1=$(date +%s.%N)
  local moved; moved=$(redis-cli -p $((BASE+3)) dbsize)
  local secs; secs=$(echo "$t1 - $t0" | bc -l)
  local rate; rate=$(echo "$moved / $secs" | bc -l)
  printf "%-24s %8d keys in %7.2f s = %9.0f keys/s  (of %d)  load %s\n" "$name" "$moved" "$secs" "$rate" "$total" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$rate" >"$WORK/$name.rate"
  stop_cluster
}

echo "reshard of $SLOTS slots of a cluster holding $KEYS keys (key:0..key:N-1, 16-byte values), server $SERVER, $ROUNDS rounds"
par="shoal-cli-parallel-$PARALLEL"
ratios=()
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then
    run redis-cli redis-cli
    run "$par" "$BIN/shoal-cli" --cluster-parallel "$PARALLEL"
  else
    run "$par" "$BIN/shoal-cli" --cluster-parallel "$PARALLEL"
    run redis-cli redis-cli
  fi
  ratio=$(echo "$(cat "$WORK/$par.rate") / $(cat "$WORK/redis-cli.rate")" | bc -l)
  ratios+=("$ratio")
  printf "round %d: shoal-cli --cluster-parallel %d / redis-cli = %.2fx\n" "$r" "$PARALLEL" "$ratio"
  if [ "$PLAIN" = 1 ]; then
    run shoal-cli "$BIN/shoal-cli"
    printf "round %d: shoal-cli / redis-cli = %.2fx\n" "$r" "$(echo "$(cat "$WORK/shoal-cli.rate") / $(cat "$WORK/redis-cli.rate")" | bc -l)"
  fi
done
sorted=$(printf "%s\n" "${ratios[@]}" | sort -g)
printf "ratio shoal-cli --cluster-parallel %d / redis-cli: median %.2fx, lowest %.2fx, highest %.2fx (%d rounds)\n" "$PARALLEL" \
  "$(echo "$sorted" | sed -n "$(( (ROUNDS + 1) / 2 ))p")" "$(echo "$sorted" | head -1)" "$(echo "$sorted" | tail -1)" "$ROUNDS"
