#!/usr/bin/env bash
# Runs units of Redis 7.0.15's own Tcl test suite against shoal-server and
# prints, per unit, how many tests pass here and how many pass on redis-server
# 7.0.15 (the "redis" column of redis-suite-baseline.txt at the repo root).
#
# Usage: scripts/redis-suite.sh [options] [UNIT ...]
#   --src DIR         unpacked Redis 7.0.15 sources holding tests/ (default
#                     $REDIS_SRC or /tmp/redis-src); make one with
#                       git --git-dir=<mirror of redis/redis> archive 7.0.15 tests | tar -x -C DIR
#   --server BIN      shoal-server binary to test (default: build this tree)
#   --cli BIN         redis-cli for the suite's redis-cli tests (default /usr/bin/redis-cli)
#   --baseport N      first port of the servers the suite starts (default 23040;
#                     the suite's own test server takes N-32..N-1, cluster bus +10000)
#   --portcount N     ports from --baseport on (default 900)
#   --timeout SECS    wall-clock limit per unit (default 900)
#   --args "..."      more test_helper.tcl arguments, e.g. "--only '/^ZADD'" or "--verbose"
#   --write-baseline  write this run's counts into redis-suite-baseline.txt
#                     (rows of units not run are kept)
#   --keep            keep the work dir (/tmp/shoal-suite-*) even when all passed
# UNITs are test_helper names (unit/type/zset, integration/rdb); without any,
# the default list below runs. Units run one at a time (--clients 1): timing
# tests are flaky on small machines otherwise.
#
# Deliberate differences: scripts/redis-suite-skip.txt names single tests
# ("unit | test name | reason"); they are passed to the suite as --skiptest.
# Whole units are never skipped.
#
# Output: one line per unit, "unit shoal=P redis=B failed=F exceptions=E
# [timeout]", the names of failed tests under it, then a total. Exit 0 when no
# test failed and no unit ended in an exception or a timeout.
#
# Processes: each unit's tclsh runs in its own session (setsid); after it ends
# (or times out) every process left in that session whose working directory is
# inside the unit's work dir is stopped by pid.
set -u

DEFAULT_UNITS=(
  unit/cluster/announced-endpoints unit/cluster/links unit/cluster/misc
  unit/cluster unit/cluster-scripting unit/pubsubshard
  unit/type/string unit/type/incr unit/type/hash unit/type/list
  unit/type/set unit/type/zset
  unit/expire unit/keyspace unit/scan unit/protocol unit/dump unit/multi
  unit/pubsub unit/auth unit/quit unit/info-command
  integration/replication integration/replication-2 integration/replication-3
  integration/replication-4 integration/replication-psync
  integration/replication-buffer
  integration/aof integration/aof-multi-part integration/rdb
  integration/redis-cli
)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASELINE=$ROOT/redis-suite-baseline.txt
SKIPS=$ROOT/scripts/redis-suite-skip.txt
SRC=${REDIS_SRC:-/tmp/redis-src}
SERVER=""
CLI=/usr/bin/redis-cli
BASEPORT=23040
PORTCOUNT=900
TIMEOUT=900
EXTRA=""
WRITE=0
KEEP=0
UNITS=()
ARGV0="$0 $*"

die() { echo "redis-suite: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --src) SRC=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --cli) CLI=$2; shift 2 ;;
    --baseport) BASEPORT=$2; shift 2 ;;
    --portcount) PORTCOUNT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --args) EXTRA="$EXTRA $2"; shift 2 ;;
    --write-baseline) WRITE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1 (--help)" ;;
    *) UNITS+=("${1%.tcl}"); shift ;;
  esac
done
[ ${#UNITS[@]} -gt 0 ] || UNITS=("${DEFAULT_UNITS[@]}")
case "$BASEPORT$PORTCOUNT$TIMEOUT" in *[!0-9]*) die "--baseport/--portcount/--timeout take integers" ;; esac
SRC=$(readlink -f -- "$SRC")
[ -f "$SRC/tests/test_helper.tcl" ] || die "no tests/test_helper.tcl under $SRC (see --help)"
TCLSH=$(command -v tclsh8.6 || command -v tclsh) || die "no tclsh (apt-get install tcl)"
command -v setsid >/dev/null || die "no setsid"
[ -x "$CLI" ] || die "no redis-cli at $CLI"
EXTRA_ARGS=()
eval "EXTRA_ARGS=($EXTRA)" || die "cannot parse --args"

WORK=$(mktemp -d /tmp/shoal-suite-XXXXXX)
if [ -z "$SERVER" ]; then
  echo "# building shoal-server"
  (cd "$ROOT" && go build -o "$WORK/bin/shoal-server" ./cmd/shoal-server) || die "build failed"
  SERVER=$WORK/bin/shoal-server
fi
SERVER=$(readlink -f -- "$SERVER")
[ -x "$SERVER" ] || die "server $SERVER is not executable"

# Redis's passed counts (third column of the baseline file).
declare -A REDIS_COUNT
if [ -f "$BASELINE" ]; then
  while read -r u _ r _; do
    case "$u" in ''|\#*) continue ;; esac
    REDIS_COUNT[$u]=$r
  done <"$BASELINE"
fi

# stop_left DIR SID: stop (by pid) what is left of a run's session.
source "$ROOT/scripts/lib/stop-left.sh"

CUR_DIR="" CUR_PID=""
trap '[ -z "$CUR_PID" ] || stop_left "$CUR_DIR" "$CUR_PID"; echo "# interrupted; work dir $WORK"; exit 130' INT TERM HUP

declare -A R_PASS R_FAIL R_EXC
TOTAL_PASS=0 TOTAL_BAD=0
echo "# server=$SERVER src=$SRC baseport=$BASEPORT portcount=$PORTCOUNT work=$WORK"
for unit in "${UNITS[@]}"; do
  d=$WORK/$(printf '%s' "$unit" | tr / _)
  mkdir -p "$d/src" "$d/tests"
  cp -r "$SRC/tests/." "$d/tests/"
  rm -rf "$d/tests/tmp"; mkdir -p "$d/tests/tmp"
  ln -s "$SERVER" "$d/src/redis-server"
  ln -s "$CLI" "$d/src/redis-cli"
  for t in redis-benchmark redis-check-aof redis-check-rdb; do
    [ ! -x "/usr/bin/$t" ] || ln -s "/usr/bin/$t" "$d/src/$t"
  done
  skip=()
  if [ -f "$SKIPS" ]; then
    while IFS='|' read -r su sname _; do
      su=$(echo "$su" | sed 's/^ *//; s/ *$//'); sname=$(echo "$sname" | sed 's/^ *//; s/ *$//')
      case "$su" in ''|\#*) continue ;; esac
      [ "$su" = "$unit" ] && skip+=(--skiptest "$sname")
    done <"$SKIPS"
  fi
  start=$(date +%s)
  (cd "$d" && TERM=dumb exec setsid "$TCLSH" tests/test_helper.tcl --single "$unit" --clients 1 \
      --timeout "$TIMEOUT" --baseport "$BASEPORT" --portcount "$PORTCOUNT" --dont-clean \
      --config pidfile "$d/redis.pid" "${skip[@]}" "${EXTRA_ARGS[@]}") </dev/null >"$d/output.txt" 2>&1 &
  CUR_PID=$! CUR_DIR=$d
  timedout=0
  while kill -0 "$CUR_PID" 2>/dev/null; do
    if [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then timedout=1; kill -TERM "$CUR_PID" 2>/dev/null; break; fi
    sleep 1
  done
  wait "$CUR_PID"; rc=$?
  stop_left "$d" "$CUR_PID"
  CUR_PID=""
  pass=$(grep -c '^\[ok\]: ' "$d/output.txt")
  fail=$(grep -c '^\[err\]: ' "$d/output.txt")
  exc=$(grep -c '^\[exception\]: ' "$d/output.txt")
  note=""
  if [ $timedout = 1 ] || grep -q '^\[TIMEOUT\]' "$d/output.txt"; then note=" timeout"; exc=$((exc + 1))
  elif [ $rc != 0 ] && [ $fail = 0 ] && [ $exc = 0 ]; then note=" rc=$rc"; exc=1
  fi
  R_PASS[$unit]=$pass R_FAIL[$unit]=$fail R_EXC[$unit]=$exc
  printf '%-34s shoal=%-4s redis=%-4s failed=%-3s exceptions=%s%s (%ss)\n' "$unit" "$pass" \
    "${REDIS_COUNT[$unit]:--}" "$fail" "$exc" "$note" "$(($(date +%s) - start))"
  grep '^\[err\]: ' "$d/output.txt" | cut -c1-200 | sed 's/^\[err\]: /  failed: /'
  grep -A3 '^\[exception\]: ' "$d/output.txt" | cut -c1-200 | sed 's/^/  exception: /'
  TOTAL_PASS=$((TOTAL_PASS + pass)) TOTAL_BAD=$((TOTAL_BAD + fail + exc))
  if [ $fail = 0 ] && [ $exc = 0 ] && [ $KEEP = 0 ]; then rm -rf "$d"; fi
done

if [ $WRITE = 1 ]; then
  tmp=$BASELINE.tmp
  declare -A SEEN
  {
    echo "# Redis 7.0.15's Tcl test suite (tag 7.0.15) against shoal-server: passed tests per unit."
    echo "# Written $(date -u '+%Y-%m-%d %H:%M UTC') from shoal $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null) by:"
    echo "#   scripts/redis-suite.sh --src DIR --write-baseline [UNIT ...]   (one unit at a time, 2-core VM)"
    echo "# redis = tests redis-server 7.0.15 passes with the same runner; tests in"
    echo "# scripts/redis-suite-skip.txt are skipped (deliberate differences)."
    echo "# unit shoal redis failed exceptions"
    for u in "${DEFAULT_UNITS[@]}" $( [ -f "$BASELINE" ] && awk '/^# --- legacy cluster suite/ {exit} !/^#/ && NF {print $1}' "$BASELINE") "${UNITS[@]}"; do
      [ -z "${SEEN[$u]:-}" ] || continue
      SEEN[$u]=1
      if [ -n "${R_PASS[$u]:-}" ]; then
        echo "$u ${R_PASS[$u]} ${REDIS_COUNT[$u]:--} ${R_FAIL[$u]} ${R_EXC[$u]}"
      elif [ -f "$BASELINE" ] && grep -q "^$u " "$BASELINE"; then
        grep -m1 "^$u " "$BASELINE"
      fi
    done
    # The older cluster suite's section (scripts/redis-cluster-legacy.sh) stays as it is.
    [ ! -f "$BASELINE" ] || sed -n '/^# --- legacy cluster suite/,$p' "$BASELINE"
  } >"$tmp" && mv "$tmp" "$BASELINE"
  echo "# wrote $BASELINE"
fi
[ $TOTAL_BAD != 0 ] || [ $KEEP = 1 ] || rm -rf "$WORK"
[ $TOTAL_BAD = 0 ] || echo "# work dir kept: $WORK"
echo "$TOTAL_PASS passed, $TOTAL_BAD failed"
[ $TOTAL_BAD = 0 ]
