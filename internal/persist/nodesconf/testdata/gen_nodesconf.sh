#!/usr/bin/env bash
# gen_nodesconf.sh captures nodes.conf files written by a real redis-server
# (7.0.15) into this directory, for the byte-for-byte golden tests:
#
#   single.conf         one node, slots 0-5460 7000 7002-7005, an announced hostname
#   cluster3-{a,b,c}.conf  3 masters made by `redis-cli --cluster create`
#   migrating-{a,b}.conf   the same cluster with slot marks: a has [100->-b] [101->-b],
#                          b has [100-<-a] [101-<-a] [16000-<-c]
#   failed-replica.conf a's view after a 4th node joined as b's replica and was stopped
#                          (slave, fail, disconnected)
#
# Ports: 16401-16404 and 16410 (bus ports +10000) on 127.0.0.1; all in a temp dir.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
declare -A pids=()

stop() { # stop <port>: stop one server by pid, bounded wait
	local pid=${pids[$1]:-}
	[[ -n "$pid" ]] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	unset "pids[$1]"
}
cleanup() {
	for p in "${!pids[@]}"; do stop "$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

start() { # start <port> [extra redis-server args...]
	local port=$1; shift
	mkdir -p "$tmp/$port"
	(cd "$tmp/$port" && exec redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
		--cluster-config-file nodes.conf --cluster-node-timeout 1000 --save '' --appendonly no \
		--daemonize no --logfile "$tmp/$port/redis.log" "$@") &
	pids[$port]=$!
	for _ in $(seq 100); do
		cli "$port" PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	cat "$tmp/$port/redis.log" >&2
	return 1
}
cli() { local port=$1; shift; timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"; }
# waitfor <what> <command...>: run the command until it succeeds, at most 30 s.
waitfor() {
	local what=$1; shift
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "timed out waiting for $what" >&2
	return 1
}
capture() { # capture <port> <name>
	cli "$1" CLUSTER SAVECONFIG | grep -q OK
	cp "$tmp/$1/nodes.conf" "$here/$2"
	echo "captured $2"
}
myid() { cli "$1" CLUSTER MYID; }

# 1. Single node.
start 16410 --cluster-announce-hostname node-a.example
cli 16410 CLUSTER ADDSLOTSRANGE 0 5460 7002 7005 | grep -q OK
cli 16410 CLUSTER ADDSLOTS 7000 | grep -q OK
capture 16410 single.conf
stop 16410

# 2. Three masters via redis-cli --cluster create.
for p in 16401 16402 16403; do start "$p"; done
timeout 60 redis-cli --cluster create 127.0.0.1:16401 127.0.0.1:16402 127.0.0.1:16403 --cluster-yes >"$tmp/create.log"
state_ok() { for p in 16401 16402 16403; do cli "$p" CLUSTER INFO | grep -q 'cluster_state:ok' || return 1; done; }
known() { # known <port> <n>: port sees n nodes, all connected and without fail flags
	local out; out=$(cli "$1" CLUSTER NODES)
	[[ $(grep -c . <<<"$out") -eq $2 ]] && ! grep -q -e 'fail' -e 'handshake' -e 'disconnected' <<<"$out"
}
waitfor "cluster state ok" state_ok
for p in 16401 16402 16403; do waitfor "$p sees 3" known "$p" 3; done
capture 16401 cluster3-a.conf
capture 16402 cluster3-b.conf
capture 16403 cluster3-c.conf

# 3. Migration marks. Slot 100 and 101 belong to a (0-5460), 16000 to c.
A=$(myid 16401); B=$(myid 16402); C=$(myid 16403)
cli 16402 CLUSTER SETSLOT 100 IMPORTING "$A" | grep -q OK
cli 16402 CLUSTER SETSLOT 101 IMPORTING "$A" | grep -q OK
cli 16402 CLUSTER SETSLOT 16000 IMPORTING "$C" | grep -q OK
cli 16401 CLUSTER SETSLOT 100 MIGRATING "$B" | grep -q OK
cli 16401 CLUSTER SETSLOT 101 MIGRATING "$B" | grep -q OK
capture 16401 migrating-a.conf
capture 16402 migrating-b.conf

# 4. A replica of b joins, then is stopped: a marks it fail.
start 16404
cli 16404 CLUSTER MEET 127.0.0.1 16401 | grep -q OK
waitfor "16404 sees 4" known 16404 4
cli 16404 CLUSTER REPLICATE "$B" | grep -q OK
slave_seen() { cli 16401 CLUSTER NODES | grep -q "slave $B"; }
waitfor "a sees the replica" slave_seen
stop 16404
failed() { cli 16401 CLUSTER NODES | grep -q 'slave,fail '; }
waitfor "a marks the replica failed" failed
capture 16401 failed-replica.conf

redis-server --version >"$here/REDIS_VERSION"
