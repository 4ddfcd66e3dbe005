#!/bin/bash
# Regenerates testdata/dumps: DUMP payloads captured from a real
# redis-server 7.0.15 for keys of every type and encoding. For each key NAME:
#   NAME.hex  the DUMP payload, hex
#   NAME.enc  OBJECT ENCODING
#   NAME.txt  the value as redis-cli --raw prints it (GET / LRANGE 0 -1 /
#             SMEMBERS sorted / HGETALL / ZRANGE 0 -1 WITHSCORES), with the
#             type on the first line
# golden_test.go restores each payload with ParseDump and compares.
set -euo pipefail
cd "$(dirname "$0")"
redis-server --version | grep -q 'v=7\.0\.' || { echo "need redis-server 7.0.x" >&2; exit 1; }
dir=$(mktemp -d)
sock=$dir/redis.sock
redis-server --port 0 --unixsocket "$sock" --dir "$dir" --save '' --appendonly no >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
cli() { redis-cli -s "$sock" "$@"; }

rep() { # rep STRING N: STRING repeated N times
	local s="" i
	for ((i = 0; i < $2; i++)); do s+="$1"; done
	printf '%s' "$s"
}

# strings
cli set s_small hello >/dev/null
cli set s_empty "" >/dev/null
cli set s_int 12345 >/dev/null
cli set s_int_neg -7 >/dev/null
cli set s_int8 100 >/dev/null
cli set s_int16 30000 >/dev/null
cli set s_int32 2000000000 >/dev/null
cli set s_int32_min -2147483648 >/dev/null
cli set s_int64 9000000000000 >/dev/null
cli set s_zero 0 >/dev/null
cli set s_lead0 007 >/dev/null
cli set s_minus0 -0 >/dev/null
cli set s_20 "$(rep ab 10)" >/dev/null
cli set s_21 "$(rep a 21)" >/dev/null
cli set s_compress "$(rep 'abcdefgh' 100)" >/dev/null
cli set s_incompressible "$(head -c 300 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 120)" >/dev/null
cli set s_long "$(rep 'The quick brown fox jumps over the lazy dog. ' 400)" >/dev/null
cli set s_ttl "with ttl" px 100000000 >/dev/null
printf 'bin\x00\x01\xff\x80end' | cli -x set s_binary >/dev/null

# lists (built by RPUSH: quicklist nodes fill from the head)
cli rpush l_small a b c 1 2 300 -5 70000 -70000 5000000000 hello >/dev/null
cli rpush l_one x >/dev/null
args=(); for i in $(seq 1 5000); do args+=("$i"); done
cli rpush l_ints "${args[@]}" >/dev/null
args=(); for i in $(seq 1 3000); do args+=("element-$i"); done
cli rpush l_big "${args[@]}" >/dev/null
args=(); for i in $(seq 1 12); do args+=("$(rep "$i-" 1000)"); done
cli rpush l_longelems "${args[@]}" >/dev/null
args=(); for i in $(seq 1 40); do args+=("$(rep x $((i * 37)))"); done
cli rpush l_mixed "${args[@]}" -1 4095 -4096 4096 32767 -32768 32768 8388607 -8388608 8388608 2147483647 -2147483648 2147483648 9223372036854775807 -9223372036854775808 >/dev/null

# sets
cli sadd set_int16 1 2 3 -5 32767 >/dev/null
cli sadd set_int32 1 100000 -100000 >/dev/null
cli sadd set_int64 1 5000000000 -3 >/dev/null
cli sadd set_str a b c >/dev/null
args=(); for i in $(seq 1 600); do args+=("$i"); done
cli sadd set_big_int "${args[@]}" >/dev/null
args=(); for i in $(seq 1 100); do args+=("member:$i"); done
cli sadd set_ht "${args[@]}" >/dev/null

# hashes
cli hset h_small f1 v1 f2 2 num 12345 neg -1 >/dev/null
cli hset h_ints 1 2 3 4 5000000000 6 >/dev/null
args=(); for i in $(seq 1 600); do args+=("field$i" "value$i"); done
cli hset h_big "${args[@]}" >/dev/null
cli hset h_longval a "$(rep v 100)" b c >/dev/null
args=(); for i in $(seq 1 100); do args+=("f$i" "$(rep "$i" 5)"); done
cli hset h_lp100 "${args[@]}" >/dev/null

# sorted sets
cli zadd z_small 1 one 2.5 two -3 three inf pinf -inf ninf 0 zero 1e20 big 0.1 tenth 3 12 >/dev/null
cli zadd z_ties 1 b 1 a 1 c 2 x >/dev/null
args=(); for i in $(seq 1 200); do args+=("$i.5" "m$i"); done
cli zadd z_big "${args[@]}" >/dev/null
cli zadd z_longmember 1 "$(rep m 100)" 2 short >/dev/null
cli zadd z_skip_inf 1 a inf b -inf c 0.25 d -1.5 e 1e300 f "$(rep q 70)" >/dev/null
args=(); for i in $(seq 1 120); do args+=("$((i * 1000))" "k$i"); done
cli zadd z_lp120 "${args[@]}" >/dev/null

# streams (the consumer groups' times are fixed with XCLAIM TIME so a
# re-capture changes nothing but what Redis changed)
cli xadd x_small 1-1 a 1 b 2 >/dev/null
cli xadd x_small 1-2 a 3 b 4 >/dev/null
cli xadd x_small 2-0 c "$(rep x 70)" >/dev/null
cli xadd x_small 3-0 a -5 b 5000000000 >/dev/null
for i in $(seq 1 700); do echo "xadd x_big $i-$((i % 3)) f$((i % 4)) $i g $(rep v $((i % 90)))"; done | cli >/dev/null
cli xadd x_big 800-0 long "$(rep 'abcdefgh' 600)" >/dev/null
cli config set stream-node-max-entries 5 >/dev/null
for i in $(seq 1 23); do cli xadd x_nodes "$i-1" n "$i" >/dev/null; done
cli xdel x_nodes 1-1 7-1 8-1 9-1 10-1 11-1 22-1 >/dev/null
cli config set stream-node-max-entries 100 >/dev/null
for i in $(seq 1 10); do cli xadd x_trim "$i-0" k "$i" >/dev/null; done
cli xtrim x_trim maxlen 4 >/dev/null
cli xadd x_emptied 5-5 a b >/dev/null
cli xdel x_emptied 5-5 >/dev/null
cli xgroup create x_mk g '$' mkstream >/dev/null
cli xadd x_setid 1-0 a b >/dev/null
cli xsetid x_setid 99-7 entriesadded 50 maxdeletedid 10-0 >/dev/null
for i in $(seq 1 8); do cli xadd x_groups "$i-0" f "$i" >/dev/null; done
cli xgroup create x_groups g1 0 >/dev/null
cli xgroup create x_groups g2 '$' >/dev/null
cli xgroup create x_groups a0 3-0 entriesread 3 >/dev/null
cli xgroup createconsumer x_groups g2 idle >/dev/null
cli xreadgroup group g1 alice count 3 streams x_groups '>' >/dev/null
cli xreadgroup group g1 bob count 2 streams x_groups '>' >/dev/null
cli xreadgroup group a0 carol noack count 2 streams x_groups '>' >/dev/null
cli xack x_groups g1 2-0 >/dev/null
cli xdel x_groups 4-0 >/dev/null
cli xclaim x_groups g1 alice 0 1-0 3-0 5-0 time 1700000000000 retrycount 4 justid >/dev/null
cli xclaim x_groups g1 bob 0 4-0 time 1700000000001 justid force >/dev/null
cli xgroup setid x_groups a0 6-0 entriesread -1 >/dev/null

rm -f dumps/*
for k in $(cli --raw keys '*' | sort); do
	cli --raw dump "$k" | head -c -1 | od -An -tx1 -v | tr -d ' \n' > "dumps/$k.hex"
	cli --raw object encoding "$k" > "dumps/$k.enc"
	t=$(cli --raw type "$k")
	{
		echo "$t"
		case $t in
		string) cli --raw get "$k" ;;
		list) cli --raw lrange "$k" 0 -1 ;;
		set) cli --raw smembers "$k" | LC_ALL=C sort ;;
		hash) cli --raw hgetall "$k" ;;
		zset) cli --raw zrange "$k" 0 -1 withscores ;;
		stream) cli --raw xrange "$k" - + ; cli --raw xinfo groups "$k" ;;
		esac
	} > "dumps/$k.txt"
done
echo "captured $(ls dumps/*.hex | wc -l) payloads from $(redis-server --version | cut -d' ' -f3)"
