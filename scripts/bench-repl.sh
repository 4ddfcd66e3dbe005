#!/usr/bin/env bash
# Replication against redis-server, same machine, same settings, several
# rounds alternating which pair goes first:
#   1. full sync of KEYS keys (mixed types): from the replica's own log
#      (both servers write Redis's lines with ms timestamps), the time from
#      "Connecting to MASTER" to "MASTER <-> REPLICA sync: Finished with
#      success", for master→replica pairs redis→redis, shoal→shoal,
#      redis→shoal and shoal→redis (polled gently: a tight INFO loop of
#      forked redis-cli processes takes a core of this 2-core machine);
#   2. SET throughput at -P 16 on a master with one replica attached
#      (redis pair vs shoal pair), and the replica's lag in bytes
#      (tools/repllag: master_repl_offset − slave_repl_offset, sampled
#      every 20 ms with the master read before and after the replica).
# Prints medians and shoal/redis ratios. A benchmark, not a test: run it on
# a quiet machine.
#
# Usage: [BENCH_PORT=p] scripts/bench-repl.sh [rounds] [keys]   (defaults: 3, 1000000; ports 21950-21951)
# BENCH_SHOAL_BIN: a prebuilt shoal-server to use instead of building this tree (before/after runs).
# BENCH_SHOAL_ENV: extra environment for the shoal servers, e.g. "GODEBUG=gctrace=1" (word-split);
# BENCH_SHOAL_ARGS: extra arguments for them (word-split), e.g. "--maxmemory 4gb".
# BENCH_PAIRS: the master→replica pairs to run (default "redis:redis shoal:shoal redis:shoal shoal:redis").
# BENCH_SETS, BENCH_RANGE: the SET load's requests and key range (default 2000000 over 1000000 keys;
# a longer load that keeps adding keys makes the replica's heap double, and collect, during it).
# BENCH_OUT: a directory that keeps, per round and same-kind pair, the replica's log and the lag
# samples (<kind>-<round>.log, the master's .mlog, <kind>-<round>.lag); BENCH_LAG_TRACE=N lists there every sample of
# N bytes or more with its time (tools/repllag -trace), to be matched against the log's gctrace, with
# each server's threads' CPU and run-queue wait over the sample's 20 ms and the link's socket queues.
set -euo pipefail
ROUNDS=${1:-3}
KEYS=${2:-1000000}
MP=${BENCH_PORT:-21950} # the master's port; the replica's is the next one
RP=$((MP + 1))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 1; }
if [ -n "${BENCH_SHOAL_BIN:-}" ]; then cp "$BENCH_SHOAL_BIN" "$WORK/shoal-server"
else (cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server); fi
(cd "$ROOT" && go build -o "$WORK/repllag" ./tools/repllag)

start() { # kind name port
  local kind=$1 name=$2 port=$3 bin=redis-server
  local env=() args=()
  if [ "$kind" = shoal ]; then
    bin="$WORK/shoal-server"
    read -r -a env <<<"${BENCH_SHOAL_ENV:-}"
    read -r -a args <<<"${BENCH_SHOAL_ARGS:-}"
  fi
  mkdir -p "$WORK/$name"
  env ${env[@]+"${env[@]}"} "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$name" \
    --repl-diskless-sync-delay 0 ${args[@]+"${args[@]}"} >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop() { local p; p=$(cat "$WORK/$1.pid"); kill "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; rm -f "$WORK/$1.pid"; }
field() { redis-cli -p "$1" info replication | tr -d '\r' | sed -n "s/^$2://p"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }'; }

# The dataset: 60% strings, 10% each of small hashes, lists, sets, zsets.
awk -v n="$KEYS" 'BEGIN{ for (i=0;i<n;i++) { m=i%10;
  if (m<6) printf "SET str:%d value-%d\r\n", i, i;
  else if (m==6) printf "HSET hash:%d f1 %d f2 x\r\n", i, i;
  else if (m==7) printf "RPUSH list:%d a %d c\r\n", i, i;
  else if (m==8) printf "SADD set:%d %d m1 m2\r\n", i, i;
  else printf "ZADD zset:%d 1 %d 2.5 m\r\n", i, i } }' >"$WORK/data.txt"

declare -A SYNC SETS LAG LAG90 LAG50
for r in $(seq "$ROUNDS"); do
  pairs=${BENCH_PAIRS:-"redis:redis shoal:shoal redis:shoal shoal:redis"}
  [ $((r % 2)) -eq 0 ] && pairs=$(echo "$pairs" | tr ' ' '\n' | tac | tr '\n' ' ')
  for pair in $pairs; do
    mk=${pair%:*}; rk=${pair#*:}
    start "$mk" m $MP; start "$rk" r $RP
    redis-cli -p $MP --pipe <"$WORK/data.txt" >/dev/null
    redis-cli -p $RP replicaof 127.0.0.1 $MP >/dev/null
    until [ "$(field $RP master_link_status)" = up ]; do sleep 0.25; done
    SYNC[$pair]="${SYNC[$pair]:-} $(awk '
      function ms(t) { split(t, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) }
      /Connecting to MASTER/ && !s { s = ms($5) }
      /MASTER <-> REPLICA sync: Finished with success/ { e = ms($5) }
      END { printf "%.3f", e - s }' "$WORK/r.log")"
    if [ "$mk" = "$rk" ]; then
      # Throughput with the replica attached, and the replica's lag.
      procs=()
      [ "${BENCH_LAG_TRACE:-0}" -gt 0 ] && procs=(-replica-pid "$(cat "$WORK/r.pid")" -master-pid "$(cat "$WORK/m.pid")")
      "$WORK/repllag" -master 127.0.0.1:$MP -replica 127.0.0.1:$RP -every 20ms -trace "${BENCH_LAG_TRACE:-0}" ${procs[@]+"${procs[@]}"} >"$WORK/lag.txt" &
      sampler=$!
      rps=$(redis-benchmark -p $MP -t set -P 16 -n "${BENCH_SETS:-2000000}" -r "${BENCH_RANGE:-1000000}" -q | sed -n 's/.*: \([0-9.]*\) requests.*/\1/p' | tail -1)
      kill $sampler; wait $sampler 2>/dev/null || true
      SETS[$mk]="${SETS[$mk]:-} $rps"
      LAG[$mk]="${LAG[$mk]:-} $(sed -n 's/.*lag_max=\([0-9-]*\).*/\1/p' "$WORK/lag.txt")"
      LAG90[$mk]="${LAG90[$mk]:-} $(sed -n 's/.*lag_p90=\([0-9-]*\).*/\1/p' "$WORK/lag.txt")"
      LAG50[$mk]="${LAG50[$mk]:-} $(sed -n 's/.*lag_p50=\([0-9-]*\).*/\1/p' "$WORK/lag.txt")"
      if [ -n "${BENCH_OUT:-}" ]; then
        mkdir -p "$BENCH_OUT"
        cp "$WORK/lag.txt" "$BENCH_OUT/$mk-$r.lag"; cp "$WORK/r.log" "$BENCH_OUT/$mk-$r.log"; cp "$WORK/m.log" "$BENCH_OUT/$mk-$r.mlog"
      fi
    fi
    stop r; stop m; rm -rf "$WORK/m" "$WORK/r"
  done
done

echo "full sync of $KEYS keys (seconds, median of $ROUNDS):"
base=$(echo "${SYNC[redis:redis]:-}" | median)
for pair in redis:redis shoal:shoal redis:shoal shoal:redis; do
  [ -n "${SYNC[$pair]:-}" ] || continue
  v=$(echo "${SYNC[$pair]}" | median)
  printf "  %-12s %8s s   ratio to redis→redis %s   (rounds:%s)\n" "${pair/:/→}" "$v" "$(ratio "$v" "$base")" "${SYNC[$pair]}"
done
rr=$(echo "${SETS[redis]:-}" | median); rs=$(echo "${SETS[shoal]:-}" | median)
lr=$(echo "${LAG[redis]:-}" | median); ls=$(echo "${LAG[shoal]:-}" | median)
echo "SET -P 16 on a master with one replica: redis $rr rps, shoal $rs rps, ratio $(ratio "$rs" "$rr")"
mr=$(echo "${LAG50[redis]:-}" | median); ms=$(echo "${LAG50[shoal]:-}" | median)
nr=$(echo "${LAG90[redis]:-}" | median); ns=$(echo "${LAG90[shoal]:-}" | median)
echo "replica lag during it, bytes (tools/repllag, median of rounds): max redis $lr, shoal $ls, ratio $(ratio "$ls" "$lr"); p90 redis $nr, shoal $ns, ratio $(ratio "$ns" "$nr"); p50 redis $mr, shoal $ms, ratio $(ratio "$ms" "$mr")"
echo "  per round, max: redis${LAG[redis]:-} / shoal${LAG[shoal]:-}"
