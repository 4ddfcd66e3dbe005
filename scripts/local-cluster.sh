#!/usr/bin/env bash
# Starts the Redis cluster tutorial's cluster on this machine: six
# shoal-server nodes on 127.0.0.1:7001-7006, each from the tutorial's 5-line
# redis.conf, joined by `redis-cli --cluster create --cluster-replicas 1`
# (3 masters, 3 replicas). shoal-cli will take redis-cli's place once it
# exists.
#
#   scripts/local-cluster.sh start   # build, start, create (idempotent)
#   scripts/local-cluster.sh stop    # stop the six nodes (by pid)
#   scripts/local-cluster.sh clean   # stop and delete their directories
#
# SHOAL_CLUSTER_DIR (default ./tmp/cluster) holds one directory per node
# with its redis.conf, nodes.conf, log and pid file.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${SHOAL_CLUSTER_DIR:-$ROOT/tmp/cluster}
PORTS="7001 7002 7003 7004 7005 7006"
BIN=$DIR/shoal-server

stop() {
  for p in $PORTS; do
    f=$DIR/$p/shoal.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$f"
  done
}

start() {
  command -v redis-cli >/dev/null || { echo "redis-cli not found: apt-get install -y redis-tools"; exit 1; }
  mkdir -p "$DIR"
  (cd "$ROOT" && go build -o "$BIN" ./cmd/shoal-server)
  for p in $PORTS; do
    mkdir -p "$DIR/$p"
    cat >"$DIR/$p/redis.conf" <<CONF
port $p
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
appendonly yes
CONF
    if [ -f "$DIR/$p/shoal.pid" ] && kill -0 "$(cat "$DIR/$p/shoal.pid")" 2>/dev/null; then continue; fi
    (cd "$DIR/$p" && "$BIN" ./redis.conf --bind 127.0.0.1 --daemonize no --logfile shoal.log \
      --pidfile "$DIR/$p/shoal.pid" </dev/null >/dev/null 2>&1 &)
  done
  for p in $PORTS; do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  if redis-cli -p 7001 cluster info | grep -q 'cluster_state:ok'; then
    echo "cluster already created:"
  else
    redis-cli --cluster create 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 \
      127.0.0.1:7004 127.0.0.1:7005 127.0.0.1:7006 --cluster-replicas 1 --cluster-yes
  fi
  redis-cli --cluster check 127.0.0.1:7001
  echo "try: redis-cli -c -p 7001 set foo bar"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  clean) stop; rm -rf "$DIR" ;;
  *) echo "usage: $0 start|stop|clean"; exit 2 ;;
esac
