#!/usr/bin/env bash
# RDB persistence benchmark: redis-server vs shoal-server, alternately, on
# this machine, with the same 1M keys (key:N → value:N, loaded once through
# redis-cli --pipe). Per round and server: SAVE time, load time at startup
# (the "DB loaded from disk" log line), dump.rdb size, and the p99 latency
# of redis-benchmark SET/GET while BGSAVEs run back to back (Redis forks;
# Shoal walks a snapshot), next to the p99 with no save running. Prints
# shoal/redis ratios of the medians. A benchmark, not a test: on a small
# shared machine the numbers are noisy; run several rounds.
#
# Usage: scripts/bench-save.sh [rounds] [keys]   (defaults 3, 1000000)
# BENCH_SHOAL_BIN: a prebuilt shoal-server to use instead of building this tree.
# BENCH_SAVER=shell: start the BGSAVEs with the poller used before 2026-12-07
# (a redis-cli and a grep every 50 ms) instead of one redis-cli -r -1 -i 0.05.
set -euo pipefail
ROUNDS=${1:-3}
KEYS=${2:-1000000}
REQS=${BENCH_REQS:-200000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 1; }
if [ -n "${BENCH_SHOAL_BIN:-}" ]; then cp "$BENCH_SHOAL_BIN" "$WORK/shoal-server"
else (cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server); fi
PORT_redis=${BENCH_REDIS_PORT:-21320}
PORT_shoal=${BENCH_SHOAL_PORT:-21321}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
port() { local v="PORT_$1"; echo "${!v}"; }
start() { # name: start on its dir, wait until loaded (PING answers PONG)
  local name=$1 bin p
  p=$(port "$name")
  if [ "$name" = redis ]; then bin=redis-server; else bin="$WORK/shoal-server"; fi
  mkdir -p "$WORK/$name"
  "$bin" --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 1200); do [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] && return; sleep 0.05; done
  echo "$name did not start"; exit 1
}
stop() { kill "$(cat "$WORK/$1.pid")" 2>/dev/null || true; wait "$(cat "$WORK/$1.pid")" 2>/dev/null || true; rm -f "$WORK/$1.pid"; }
rdb_saves() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: '/^rdb_saves:/{print $2}'; }
bgsave_idle() { redis-cli -p "$1" info persistence | tr -d '\r' | grep -q '^rdb_bgsave_in_progress:0'; }
p99() { # port: p99 ms of SET and GET, as "set get"
  redis-benchmark -p "$1" -c 50 -r 1000000 -n "$REQS" -t set,get --csv 2>/dev/null |
    awk -F'","' '/^"(SET|GET)"/{gsub(/"/,"",$7); printf "%s ", $7}'
}

awk -v n="$KEYS" 'BEGIN{for(i=0;i<n;i++){k="key:" i; v="value:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v}}' >"$WORK/data.resp"
for name in redis shoal; do
  start "$name"
  redis-cli -p "$(port $name)" --pipe <"$WORK/data.resp" >/dev/null
  redis-cli -p "$(port $name)" save >/dev/null
  stop "$name"
done

declare -A SAVE LOAD SIZE P99S P99G B99S B99G
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for r in $(seq "$ROUNDS"); do
  # Alternate which server goes first, as the other bench scripts do.
  order="redis shoal"; [ $((r % 2)) -eq 0 ] && order="shoal redis"
  for name in $order; do
    p=$(port "$name")
    start "$name"
    LOAD[$name]+="$(grep -o 'DB loaded from disk: [0-9.]*' "$WORK/$name.log" | awk '{print $5*1000}') "
    t0=$(ms); redis-cli -p "$p" save >/dev/null; t1=$(ms)
    SAVE[$name]+="$((t1 - t0)) "
    # The size of round 1's file: later rounds start from the last BGSAVE
    # of the round before, which holds more or fewer of its benchmark's
    # SETs (Shoal, saving ~3x as often, more), so their data differ.
    size=$(stat -c %s "$WORK/$name/dump.rdb")
    [ "$r" = 1 ] && SIZE[$name]=$size
    read -r bs bg <<<"$(p99 "$p")"
    B99S[$name]+="$bs "; B99G[$name]+="$bg "
    # BGSAVE back to back while the benchmark runs: one redis-cli sends
    # BGSAVE every 50 ms over one connection (refused while one runs).
    # BENCH_SAVER=shell keeps the old poller, which started a redis-cli
    # and a grep every 50 ms (~17 % of a core on a 2-core machine,
    # delaying both servers' requests: docs/snapshot.md).
    saves0=$(rdb_saves "$p")
    if [ "${BENCH_SAVER:-}" = shell ]; then
      # The flag first: a saver that looked before it existed ran no BGSAVE
      # at all (Redis's "during BGSAVE" p99 was often measured without one).
      touch "$WORK/saving"
      ( while [ -e "$WORK/saving" ]; do bgsave_idle "$p" && redis-cli -p "$p" bgsave >/dev/null 2>&1; sleep 0.05; done ) &
    else
      redis-cli -p "$p" -r -1 -i 0.05 bgsave >/dev/null 2>&1 &
    fi
    saver=$!
    echo "$saver" >"$WORK/saver.pid" # stopped by the EXIT trap if the run is cut short
    sleep 0.2
    read -r ss sg <<<"$(p99 "$p")"
    rm -f "$WORK/saving"; [ "${BENCH_SAVER:-}" = shell ] || kill "$saver" 2>/dev/null
    wait "$saver" 2>/dev/null || true
    rm -f "$WORK/saver.pid"
    for _ in $(seq 600); do bgsave_idle "$p" && break; sleep 0.1; done
    bgsaves=$(( $(rdb_saves "$p") - saves0 ))
    P99S[$name]+="$ss "; P99G[$name]+="$sg "
    printf 'round %d %-5s save %5d ms  load %5s ms  size %d  p99 set/get idle %s/%s ms, during %d BGSAVEs %s/%s ms\n' \
      "$r" "$name" "$((t1 - t0))" "$(echo "${LOAD[$name]}" | awk '{print $NF}')" "$size" "$bs" "$bg" "$bgsaves" "$ss" "$sg"
    stop "$name"
  done
done
echo
printf '%-28s %10s %10s %7s\n' metric redis shoal ratio
row() { local a b; a=$(echo "$2" | median); b=$(echo "$3" | median); printf '%-28s %10s %10s %7.2f\n' "$1" "$a" "$b" "$(echo "$b $a" | awk '{print ($2>0)?$1/$2:0}')"; }
row "SAVE ms (median)" "${SAVE[redis]}" "${SAVE[shoal]}"
row "load ms (median)" "${LOAD[redis]}" "${LOAD[shoal]}"
row "dump.rdb bytes (round 1)" "${SIZE[redis]}" "${SIZE[shoal]}"
row "p99 SET ms, idle" "${B99S[redis]}" "${B99S[shoal]}"
row "p99 GET ms, idle" "${B99G[redis]}" "${B99G[shoal]}"
row "p99 SET ms, during BGSAVE" "${P99S[redis]}" "${P99S[shoal]}"
row "p99 GET ms, during BGSAVE" "${P99G[redis]}" "${P99G[shoal]}"
