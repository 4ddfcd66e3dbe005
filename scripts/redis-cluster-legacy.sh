#!/usr/bin/env bash
# Runs the files of Redis 7.0.15's older cluster suite (tests/cluster, the one
# `./runtest-cluster` runs) against shoal-server, one file per run, and prints
# per file how many tests passed, next to what redis-server 7.0.15 passes with
# the same runner (the "legacy cluster suite" section of
# redis-suite-baseline.txt).
#
# Usage: scripts/redis-cluster-legacy.sh [options] [FILE ...]
#   --src DIR         unpacked Redis 7.0.15 sources holding tests/ (default
#                     $REDIS_SRC or /tmp/redis-src); make one with
#                       git --git-dir=<mirror of redis/redis> archive 7.0.15 tests | tar -x -C DIR
#   --server BIN      shoal-server binary to test (default: build this tree)
#   --redis           run redis-server 7.0.15 (/usr/bin/redis-server, or --server)
#                     instead: this fills the baseline's redis column
#   --cli BIN         redis-cli the suite uses (default /usr/bin/redis-cli)
#   --baseport N      first port of the 20 instances (default 30000; their bus
#                     ports are +10000; the suite probes N..N+1023 for free ones)
#   --timeout SECS    wall-clock limit per file (default 900)
#   --write-baseline  write this run's counts into redis-suite-baseline.txt
#                     (rows of files not run, and the other column, are kept)
#   --keep            keep the work dir (/tmp/shoal-legacy-*) even when all passed
# FILEs are names under tests/cluster/tests without .tcl (00-base 04-resharding);
# without any, every file runs, in order.
#
# Each file runs alone: `tclsh tests/cluster/run.tcl --single FILE` in a copy
# of the tests with src/redis-server linked to the server under test. The
# suite always spawns its 20 instances (files need up to 20: 5 masters + 15
# replicas in 15-cluster-slots) and every file starts with the same
# init-tests (restart, hard reset, meet), so one file per run changes nothing
# but keeps one file's failure from spilling into the next.
#
# Counting: "HH:MM:SS> name: ... OK" is a pass; "FAILED: <assertion>" a
# failure (the suite then leaves the file, so its later tests do not run,
# unless the test sits in a loop); "FAILED: caught an error in the test"
# that does not follow such a failure (a Tcl error, an unexpected error
# reply) an exception.
#
# Deliberate differences: scripts/redis-cluster-legacy-skip.txt names single
# tests ("cluster/FILE | test name | reason"); they print "SKIPPED" instead of
# running, on both servers. Whole files are never skipped.
#
# Output: one line per file, "file shoal=P redis=B failed=F exceptions=E
# [timeout]", failed tests under it, then a total. Exit 0 when nothing failed.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASELINE=$ROOT/redis-suite-baseline.txt
SKIPS=$ROOT/scripts/redis-cluster-legacy-skip.txt
MARK="# --- legacy cluster suite"
SRC=${REDIS_SRC:-/tmp/redis-src}
SERVER=""
AGAINST=shoal
CLI=/usr/bin/redis-cli
BASEPORT=30000
TIMEOUT=900
WRITE=0
KEEP=0
FILES=()

die() { echo "redis-cluster-legacy: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --src) SRC=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --redis) AGAINST=redis; shift ;;
    --cli) CLI=$2; shift 2 ;;
    --baseport) BASEPORT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --write-baseline) WRITE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1 (--help)" ;;
    *) f=${1%.tcl}; FILES+=("${f#cluster/}"); shift ;;
  esac
done
case "$BASEPORT$TIMEOUT" in *[!0-9]*) die "--baseport/--timeout take integers" ;; esac
[ "$BASEPORT" -ge 1024 ] && [ "$BASEPORT" -le 54000 ] || die "--baseport must be 1024..54000"
SRC=$(readlink -f -- "$SRC")
[ -f "$SRC/tests/cluster/run.tcl" ] || die "no tests/cluster/run.tcl under $SRC (see --help)"
TCLSH=$(command -v tclsh8.6 || command -v tclsh) || die "no tclsh (apt-get install tcl)"
command -v setsid >/dev/null || die "no setsid"
[ -x "$CLI" ] || die "no redis-cli at $CLI"
if [ ${#FILES[@]} -eq 0 ]; then
  for f in "$SRC"/tests/cluster/tests/*.tcl; do f=${f##*/}; FILES+=("${f%.tcl}"); done
fi
for f in "${FILES[@]}"; do
  [ -f "$SRC/tests/cluster/tests/$f.tcl" ] || die "no tests/cluster/tests/$f.tcl"
done

WORK=$(mktemp -d /tmp/shoal-legacy-XXXXXX)
if [ -z "$SERVER" ] && [ $AGAINST = redis ]; then SERVER=/usr/bin/redis-server; fi
if [ -z "$SERVER" ]; then
  echo "# building shoal-server"
  (cd "$ROOT" && go build -o "$WORK/bin/shoal-server" ./cmd/shoal-server) || die "build failed"
  SERVER=$WORK/bin/shoal-server
fi
SERVER=$(readlink -f -- "$SERVER")
[ -x "$SERVER" ] || die "server $SERVER is not executable"

# The baseline section: "cluster/FILE shoal redis failed exceptions".
declare -A B_SHOAL B_REDIS B_FAIL B_EXC
if [ -f "$BASELINE" ]; then
  while read -r u s r fl ex; do
    case "$u" in cluster/*) B_SHOAL[$u]=$s B_REDIS[$u]=$r B_FAIL[$u]=$fl B_EXC[$u]=$ex ;; esac
  done < <(sed -n "/^$MARK/,\$p" "$BASELINE")
fi

# stop_left DIR SID: stop (by pid) what is left of a run's session.
source "$ROOT/scripts/lib/stop-left.sh"

CUR_DIR="" CUR_PID=""
trap '[ -z "$CUR_PID" ] || stop_left "$CUR_DIR" "$CUR_PID"; echo "# interrupted; work dir $WORK"; exit 130' INT TERM HUP

TOTAL_PASS=0 TOTAL_BAD=0
echo "# against=$AGAINST server=$SERVER src=$SRC baseport=$BASEPORT work=$WORK"
for f in "${FILES[@]}"; do
  u=cluster/$f
  d=$WORK/$f
  mkdir -p "$d/src" "$d/tests"
  cp -r "$SRC/tests/." "$d/tests/"
  rm -rf "$d/tests/cluster/tmp" "$d/tests/tmp"; mkdir -p "$d/tests/cluster/tmp" "$d/tests/tmp"
  # The suite has no option for its port; set it in this copy only.
  sed -i "s/^set ::redis_base_port .*/set ::redis_base_port $BASEPORT/" "$d/tests/instances.tcl"
  # Deliberate differences: the tests named in the skip file print SKIPPED
  # instead of running (the suite's own test proc has no skip list).
  skips=""
  if [ -f "$SKIPS" ]; then
    while IFS='|' read -r su sname _; do
      su=$(echo "$su" | sed 's/^ *//; s/ *$//'); sname=$(echo "$sname" | sed 's/^ *//; s/ *$//')
      case "$su" in ''|\#*) continue ;; esac
      [ "$su" = "$u" ] && skips="$skips {$sname}"
    done <"$SKIPS"
  fi
  cat >>"$d/tests/instances.tcl" <<TCL

# Added by scripts/redis-cluster-legacy.sh: skip the tests named here.
set ::legacy_skips [list $skips]
rename test ::legacy_test_orig
proc test {descr code} {
    if {[lsearch -exact \$::legacy_skips \$descr] >= 0} {
        puts "[clock format [clock seconds] -format %H:%M:%S]> \$descr: SKIPPED"
        return
    }
    set c [catch {uplevel 1 [list ::legacy_test_orig \$descr \$code]} res opts]
    if {\$c == 1} { return -options \$opts \$res }
    return -code \$c \$res
}
TCL
  ln -s "$SERVER" "$d/src/redis-server"
  ln -s "$CLI" "$d/src/redis-cli"
  start=$(date +%s)
  (cd "$d" && TERM=dumb exec setsid "$TCLSH" tests/cluster/run.tcl --single "tests/$f.tcl" --dont-clean) \
      </dev/null >"$d/output.txt" 2>&1 &
  CUR_PID=$! CUR_DIR=$d
  timedout=0
  while kill -0 "$CUR_PID" 2>/dev/null; do
    if [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then timedout=1; kill -TERM "$CUR_PID" 2>/dev/null; break; fi
    sleep 1
  done
  wait "$CUR_PID"; rc=$?
  stop_left "$d" "$CUR_PID"
  CUR_PID=""
  out=$d/output.txt
  # (A test's "OK" lands on a line of its own when kill_instance printed
  # "Waiting for process N to exit..." after the test's name.)
  pass=$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> .*OK$/ { n++ }
    $0 == "OK" && prev ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> .*\.\.\.$/ { n++ }
    { prev = $0 } END { print n + 0 }' "$out")
  fail=$(grep '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> .*FAILED: ' "$out" | grep -vc 'caught an error in the test')
  # After a failed assertion the suite leaves the file by raising
  # "continue" out of it, which run_tests reports as "caught an error":
  # that one is the jump, any other is an exception.
  exc=$(awk '/FAILED: caught an error in the test/ { if (prev !~ /^\(Jumping to next unit after error\)/) n++ } { prev = $0 } END { print n + 0 }' "$out")
  note=""
  if [ $timedout = 1 ]; then note=" timeout"; exc=$((exc + 1))
  elif [ $rc != 0 ] && [ $fail = 0 ] && [ $exc = 0 ]; then note=" rc=$rc"; exc=1
  fi
  if [ $AGAINST = shoal ]; then
    B_SHOAL[$u]=$pass B_FAIL[$u]=$fail B_EXC[$u]=$exc
    printf '%-36s shoal=%-4s redis=%-4s failed=%-3s exceptions=%s%s (%ss)\n' "$u" "$pass" \
      "${B_REDIS[$u]:--}" "$fail" "$exc" "$note" "$(($(date +%s) - start))"
  else
    B_REDIS[$u]=$pass
    printf '%-36s redis=%-4s failed=%-3s exceptions=%s%s (%ss)\n' "$u" "$pass" \
      "$fail" "$exc" "$note" "$(($(date +%s) - start))"
  fi
  grep '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> .*FAILED: ' "$out" | cut -c1-220 | sed 's/^/  failed: /'
  grep '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> .*: SKIPPED$' "$out" | sed 's/^[0-9:]*> /  skipped: /'
  [ "$exc" = 0 ] || grep -B1 -A3 'FAILED: caught an error in the test' "$out" | grep -v '^(Jumping' | cut -c1-220 | sed 's/^/  exception: /'
  TOTAL_PASS=$((TOTAL_PASS + pass)) TOTAL_BAD=$((TOTAL_BAD + fail + exc))
  if [ $fail = 0 ] && [ $exc = 0 ] && [ $KEEP = 0 ]; then rm -rf "$d"; fi
done

if [ $WRITE = 1 ]; then
  tmp=$BASELINE.tmp
  {
    [ ! -f "$BASELINE" ] || sed "/^$MARK/,\$d" "$BASELINE"
    echo "$MARK (tests/cluster, runtest-cluster) against shoal-server: passed tests per file."
    echo "# Written $(date -u '+%Y-%m-%d %H:%M UTC') from shoal $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null) by:"
    echo "#   scripts/redis-cluster-legacy.sh --src DIR [--redis] --write-baseline [FILE ...]   (one file a run, 20 instances, 2-core VM)"
    echo "# redis = tests redis-server 7.0.15 passes with the same runner."
    echo "# file shoal redis failed exceptions"
    for f in "$SRC"/tests/cluster/tests/*.tcl; do
      f=${f##*/}; u=cluster/${f%.tcl}
      [ -n "${B_SHOAL[$u]:-}${B_REDIS[$u]:-}" ] || continue
      echo "$u ${B_SHOAL[$u]:--} ${B_REDIS[$u]:--} ${B_FAIL[$u]:--} ${B_EXC[$u]:--}"
    done
  } >"$tmp" && mv "$tmp" "$BASELINE"
  echo "# wrote $BASELINE"
fi
[ $TOTAL_BAD != 0 ] || [ $KEEP = 1 ] || rm -rf "$WORK"
[ $TOTAL_BAD = 0 ] || echo "# work dir kept: $WORK"
echo "$TOTAL_PASS passed, $TOTAL_BAD failed"
[ $TOTAL_BAD = 0 ]
