#!/usr/bin/env bash
# Bytes per key, Redis vs Shoal: start each server (127.0.0.1 only), load
# BENCH_KEYS random keys with 16-byte values (redis-benchmark -t set
# -r 1000000000 -d 16 -P 16) and report the RSS delta per key. Shoal runs with
# GODEBUG=gctrace=1; its GC lines are summarised (count, total pause, the
# live heap after the last GC).
#
# Usage: scripts/mem-vs-redis.sh [shoal-binary...]
#   With no argument, builds ./cmd/shoal-server. Several binaries (e.g. a
#   baseline and a candidate) are measured in turn. Env: BENCH_KEYS (1000000),
#   ROUNDS (1), PORT (17150), SKIP_REDIS=1 to measure Shoal only.
set -euo pipefail
KEYS=${BENCH_KEYS:-1000000}
ROUNDS=${ROUNDS:-1}
PORT=${PORT:-17150}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PIDS=()
source "$(dirname "$0")/lib/stop-pids.sh"
trap 'stop_pids "${PIDS[@]}"; rm -rf "$WORK"' EXIT
BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
  (cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server)
  BINS=("$WORK/shoal-server")
fi
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

measure() { # label bin
  local label=$1 bin=$2 dir pid before after keys
  dir=$(mktemp -d -p "$WORK")
  if [ "$bin" = redis-server ]; then
    redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/log" 2>&1 &
  else
    GODEBUG=gctrace=1 "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/log" 2>&1 &
  fi
  pid=$!; PIDS+=("$pid")
  for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
  before=$(rss_kb "$pid")
  local t0=$(date +%s.%N)
  redis-benchmark -p "$PORT" -c 50 -P 16 -r 1000000000 -n "$KEYS" -d 16 -t set -q >/dev/null 2>&1
  local t1=$(date +%s.%N)
  sleep 1
  after=$(rss_kb "$pid")
  keys=$(redis-cli -p "$PORT" dbsize)
  local cpu=$(awk '{print ($14+$15)}' "/proc/$pid/stat")
  printf '%-28s keys=%d rss_delta=%dMiB bytes/key=%.1f load=%.2fs cpu_ticks=%s' "$label" "$keys" $(( (after-before)/1024 )) \
    "$(awk -v a="$after" -v b="$before" -v k="$keys" 'BEGIN{print (a-b)*1024/k}')" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$cpu"
  if [ "$bin" != redis-server ]; then
    # gctrace: "gc N @t s P%: a+b+c ms clock, ... , X->Y->Z MB, ..."
    awk '/^gc [0-9]+ @/ {n++; split($5,c,"+"); stw+=c[1]+c[3]; mark+=c[2]; for(i=1;i<=NF;i++) if($i ~ /->.*->/){split($i,h,"->"); live=h[3]} pct=$4}
         END{printf " gcs=%d stw_ms=%.2f mark_ms=%.0f live_after_last_gc=%sMB gc_cpu=%s", n, stw, mark, live, pct}' "$dir/log"
  fi
  echo
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for r in $(seq "$ROUNDS"); do
  [ -n "${SKIP_REDIS:-}" ] || measure "redis-server 7.0" redis-server
  for b in "${BINS[@]}"; do measure "$(basename "$b")" "$b"; done
done
