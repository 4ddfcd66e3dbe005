#!/usr/bin/env bash
# Failover benchmark: time from kill -9 of a master to the first write its
# replica accepts, on a 3-master/3-replica cluster of redis-server and of
# shoal-server at the same cluster-node-timeout, ROUNDS rounds each,
# alternating; prints every round, the means and the ratio shoal/redis.
#
#   scripts/bench-failover.sh               # node timeout 5000, 3 rounds
#   TIMEOUT=3000 ROUNDS=5 scripts/bench-failover.sh
# Env: BASE (first port, default 21700; BASE..BASE+5 and their +10000 bus
# ports must be free).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIMEOUT=${TIMEOUT:-5000}
ROUNDS=${ROUNDS:-3}
BASE=${BASE:-21700}
WORK=$(mktemp -d)
(cd "$ROOT" && go build -o "$WORK/bin/" ./cmd/shoal-server)
PIDS=()
stop_all() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  PIDS=()
  sleep 0.5
}
trap 'stop_all; rm -rf "$WORK"' EXIT
now_ms() { date +%s%3N; }

# one_round SERVER: prints the failover time in ms.
one_round() {
  local server=$1 addrs=() p d
  for i in 0 1 2 3 4 5; do
    p=$((BASE + i)); d=$WORK/n$p; rm -rf "$d"; mkdir -p "$d"
    (cd "$d" && exec setsid "$server" --port $p --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout "$TIMEOUT" --save "" --appendonly no \
      --daemonize no --logfile "$d/log" </dev/null >/dev/null 2>&1) &
    PIDS+=($!)
    addrs+=("127.0.0.1:$p")
  done
  for i in 0 1 2 3 4 5; do
    for _ in $(seq 100); do redis-cli -p $((BASE + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >/dev/null
  for _ in $(seq 300); do
    ok=1
    for i in 0 1 2 3 4 5; do
      redis-cli -p $((BASE + i)) cluster info | grep -q cluster_state:ok || ok=0
    done
    [ $ok = 1 ] && break
    sleep 0.1
  done
  # The replica of the first master, and a key in that master's slots.
  local mid rport key
  mid=$(redis-cli -p "$BASE" cluster myid)
  rport=$(redis-cli -p "$BASE" cluster nodes | awk -v m="$mid" '$4 == m { split($2, a, "[:@]"); print a[2] }')
  for i in $(seq 100); do
    [ "$(redis-cli -p "$BASE" cluster keyslot "k$i")" -lt 5461 ] && { key=k$i; break; }
  done
  if [ -z "$rport" ]; then
    echo "no replica of 127.0.0.1:$BASE found; skipped" >&2
    stop_all
    echo -1
    return
  fi
  # A running cluster's replica is in sync (a Redis replica whose first
  # sync has not finished never stands for election); Shoal replicas do
  # not report a link yet, so this waits only for Redis.
  for _ in $(seq 100); do
    redis-cli -p "$rport" info replication | grep -q 'master_link_status:up' && break
    redis-cli -p "$rport" info replication | grep -q 'master_link_status' || break
    sleep 0.1
  done
  sleep 1
  local start end
  start=$(now_ms)
  kill -9 "${PIDS[0]}"
  for _ in $(seq 1500); do
    [ "$(redis-cli -p "$rport" set "$key" v 2>/dev/null)" = OK ] && break
    sleep 0.02
  done
  end=$(now_ms)
  stop_all
  echo $((end - start))
}

declare -A total=([redis]=0 [shoal]=0) count=([redis]=0 [shoal]=0)
for r in $(seq "$ROUNDS"); do
  for s in redis shoal; do
    bin=redis-server; [ $s = shoal ] && bin=$WORK/bin/shoal-server
    ms=$(one_round "$bin")
    [ "$ms" -lt 0 ] && continue
    total[$s]=$((total[$s] + ms))
    count[$s]=$((count[$s] + 1))
    echo "round $r $s: ${ms} ms"
  done
done
mr=$((total[redis] / (count[redis] > 0 ? count[redis] : 1))); ms=$((total[shoal] / (count[shoal] > 0 ? count[shoal] : 1)))
echo "node timeout $TIMEOUT ms, $ROUNDS rounds: redis ${mr} ms, shoal ${ms} ms, ratio shoal/redis $(awk -v a="$ms" -v b="$mr" 'BEGIN { printf "%.2f", a / b }')"
