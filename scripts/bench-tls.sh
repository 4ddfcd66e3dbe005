#!/usr/bin/env bash
# TLS cost: server CPU per request of redis-benchmark SET/GET (-c 50,
# pipelines of PIPE, default 16) against redis-server and this tree's
# shoal-server, each on its plaintext port and on its TLS port (a
# certificate made here with openssl: an EC CA, a node certificate, a
# client certificate, tls-auth-clients yes). Servers run one at a time,
# alternately, ROUNDS times; the median CPU per request is printed with
# the shoal/redis ratio for each transport. A benchmark, not a test: CPU
# per request (from /proc/PID/stat) is the steady figure.
#
# Usage: scripts/bench-tls.sh [rounds] [requests]
# Environment: BENCH_PORT (default 21700; it and BENCH_PORT+1 are used),
# PIPE (default 16).
set -euo pipefail
ROUNDS=${1:-3}
N=${2:-300000}
PIPE=${PIPE:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
source "$(dirname "$0")/lib/stop-pids.sh"
# shellcheck disable=SC2046 # one pid per word
trap 'stop_pids $(cat "$WORK"/*.pid 2>/dev/null); rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/shoal-server" ./cmd/shoal-server)
PORT=${BENCH_PORT:-21700}
TPORT=$((PORT + 1))
HZ=$(getconf CLK_TCK)

# Certificates.
C=$WORK/certs
mkdir -p "$C"
openssl ecparam -name prime256v1 -genkey -noout -out "$C/ca.key" 2>/dev/null
openssl req -x509 -new -key "$C/ca.key" -days 2 -subj "/CN=bench CA" -out "$C/ca.crt" 2>/dev/null
for who in node client; do
  openssl ecparam -name prime256v1 -genkey -noout -out "$C/$who.key" 2>/dev/null
  openssl req -new -key "$C/$who.key" -subj "/CN=$who" -out "$C/$who.csr" 2>/dev/null
  printf "subjectAltName=IP:127.0.0.1\n" >"$C/ext"
  openssl x509 -req -in "$C/$who.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
    -extfile "$C/ext" -out "$C/$who.crt" 2>/dev/null
done
TLSARGS=(--tls-port "$TPORT" --tls-cert-file "$C/node.crt" --tls-key-file "$C/node.key" --tls-ca-cert-file "$C/ca.crt")
CLITLS=(--tls --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key")

start() {
  local bin=redis-server
  [ "$1" = shoal ] && bin="$WORK/shoal-server"
  mkdir -p "$WORK/$1"
  "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/$1" "${TLSARGS[@]}" >"$WORK/$1.log" 2>&1 &
  echo $! >"$WORK/$1.pid"
  for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop() { kill "$(cat "$WORK/$1.pid")"; wait "$(cat "$WORK/$1.pid")" 2>/dev/null || true; rm -f "$WORK/$1.pid"; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

declare -A RES
for r in $(seq "$ROUNDS"); do
  for s in redis shoal; do
    start "$s"
    pid=$(cat "$WORK/$s.pid")
    for tr in plain tls; do
      args=(-p "$PORT")
      [ "$tr" = tls ] && args=(-p "$TPORT" "${CLITLS[@]}")
      for t in set get; do
        t0=$(ticks "$pid")
        redis-benchmark "${args[@]}" -c 50 -r 100000 -n "$N" -P "$PIPE" -q -t "$t" >/dev/null 2>&1
        t1=$(ticks "$pid")
        RES[$s.$tr.$t]+="$(awk -v a="$t0" -v b="$t1" -v n="$N" -v hz="$HZ" 'BEGIN{printf "%.3f", (b-a)/hz*1e6/n}') "
      done
    done
    stop "$s"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf "%-6s %-5s %-4s %14s %10s\n" server port test "cpu_us/req" "vs_redis"
for tr in plain tls; do
  for t in set get; do
    rm=$(echo "${RES[redis.$tr.$t]}" | median)
    for s in redis shoal; do
      m=$(echo "${RES[$s.$tr.$t]}" | median)
      printf "%-6s %-5s %-4s %14s %10s\n" "$s" "$tr" "$t" "$m" "$(awk -v a="$m" -v b="$rm" 'BEGIN{printf "%.2f", a/b}')"
    done
  done
done
