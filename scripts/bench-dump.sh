#!/usr/bin/env bash
# DUMP and RESTORE cost: server CPU per key on redis-server and
# shoal-server, for several value kinds, several rounds. CPU is the
# threads' run time from /proc/PID/task/*/schedstat (ns). Within a round
# the two servers take turns pass by pass (tools/benchdump -addr2), the
# first alternating, so that a drift of the machine weighs on both.
# Prints the median per server and the shoal/redis ratio (and, for
# RESTORE, the median of each round's own ratio with the lowest and
# highest, and from 5 rounds on that median's 95 % bootstrap interval:
# a round's ratio moves by ±10-15 % here, so a verdict pools rounds and
# reads the interval); "load ratio" is the same
# ratio for writing the keys with ordinary commands (SET, RPUSH, HSET…),
# the cost of building each type. A benchmark, not a test: CPU per key is
# the steady number on a shared machine.
#
# Usage: scripts/bench-dump.sh [rounds] [kinds]
#   rounds: default 3; kinds: default all (string,string1k,list10,list1000,
#   intset10,set10,hash10,hash100,zset10,zset100)
#   REPEAT=n runs each DUMP and RESTORE phase n times (default 1): more
#   passes per number on a busy machine. PORT=p: redis on p, shoal on
#   p+1 (default 21090). ROUNDS_OUT=file appends each round's numbers to
#   file ("kind round dump_redis dump_shoal restore_redis restore_shoal",
#   µs a key), to pool rounds across runs.
set -euo pipefail
ROUNDS=${1:-3}
KINDS=${2:-string,string1k,list10,list1000,intset10,set10,hash10,hash100,zset10,zset100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 1; }
(cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server && go build -o "$WORK/benchdump" ./tools/benchdump)

start() { # name port
  local name=$1 port=$2 bin
  if [ "$name" = redis ]; then bin=redis-server; else bin="$WORK/shoal-server"; fi
  mkdir -p "$WORK/$name"
  "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
keys_for() { case $1 in list1000) echo 4000 ;; hash100|zset100|string1k) echo 20000 ;; *) echo 40000 ;; esac; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

P=${PORT:-21090}
port_of() { if [ "$1" = shoal ]; then echo $((P + 1)); else echo "$P"; fi; }
start redis "$P"; start shoal $((P + 1))
declare -A D R L
for r in $(seq "$ROUNDS"); do
  order="redis shoal"; [ $((r % 2)) -eq 0 ] && order="shoal redis"
  for k in ${KINDS//,/ }; do
    # Both servers in one benchdump, pass by pass (the first of each
    # pass alternating), so that a drift of the machine weighs on both.
    # shellcheck disable=SC2086 # the two names, one per word
    set -- $order
    out=$("$WORK/benchdump" -addr 127.0.0.1:$(port_of "$1") -pid "$(cat "$WORK/$1.pid")" \
      -addr2 127.0.0.1:$(port_of "$2") -pid2 "$(cat "$WORK/$2.pid")" -kind "$k" -keys "$(keys_for "$k")" -repeat "${REPEAT:-1}")
    line=1
    for name in $order; do
      o=$(echo "$out" | sed -n "${line}p"); line=$((line + 1))
      D[$name,$k]="${D[$name,$k]:-} $(echo "$o" | sed 's/.*dump_us=\([0-9.]*\).*/\1/')"
      R[$name,$k]="${R[$name,$k]:-} $(echo "$o" | sed 's/.*restore_us=\([0-9.]*\).*/\1/')"
      L[$name,$k]="${L[$name,$k]:-} $(echo "$o" | sed 's/.*load_us=\([0-9.]*\).*/\1/')"
    done
    if [ -n "${ROUNDS_OUT:-}" ]; then
      echo "$k $r $(echo "${D[redis,$k]}" | awk '{print $NF}') $(echo "${D[shoal,$k]}" | awk '{print $NF}') $(echo "${R[redis,$k]}" | awk '{print $NF}') $(echo "${R[shoal,$k]}" | awk '{print $NF}')" >>"$ROUNDS_OUT"
    fi
  done
done
# paired: the RESTORE ratio of each round (the two servers measured one
# after the other, so a drift of the machine over the run weighs on both),
# as "median (lowest-highest)".
# From 5 rounds on, also the 95 % bootstrap interval of that median
# ("[lo-hi]", 2000 resamples): a ratio is under 1.0 when hi is.
paired() {
  awk -v a="$1" -v b="$2" '
    function sortn(v, m,   i, j, t) { for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t } }
    BEGIN{ n = split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= n; i++) r[i] = (y[i] > 0) ? x[i] / y[i] : 0
    sortn(r, n)
    printf "%.2f (%.2f-%.2f)", r[int((n + 1) / 2)], r[1], r[n]
    if (n >= 5) {
      srand(1)
      for (k = 1; k <= 2000; k++) { for (i = 1; i <= n; i++) s[i] = r[1 + int(rand() * n)]; sortn(s, n); med[k] = s[int((n + 1) / 2)] }
      sortn(med, 2000)
      printf " [%.2f-%.2f]", med[50], med[1951]
    } }'
}
printf "%-10s %12s %12s %7s   %12s %12s %7s   %-10s   %s\n" kind "dump redis" "dump shoal" ratio "rest. redis" "rest. shoal" ratio "load ratio" "rest. ratio per round"
for k in ${KINDS//,/ }; do
  dr=$(echo "${D[redis,$k]}" | median); ds=$(echo "${D[shoal,$k]}" | median)
  rr=$(echo "${R[redis,$k]}" | median); rs=$(echo "${R[shoal,$k]}" | median)
  lr=$(echo "${L[redis,$k]}" | median); ls=$(echo "${L[shoal,$k]}" | median)
  printf "%-10s %10sus %10sus %7s   %10sus %10sus %7s   %-10s   %s\n" "$k" "$dr" "$ds" \
    "$(awk -v a="$ds" -v b="$dr" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')" "$rr" "$rs" \
    "$(awk -v a="$rs" -v b="$rr" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')" \
    "$(awk -v a="$ls" -v b="$lr" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')" \
    "$(paired "${R[shoal,$k]}" "${R[redis,$k]}")"
done
