# Sourced by scripts/redis-suite.sh and scripts/redis-cluster-legacy.sh.
# stop_left DIR SID: stop (by pid) what is left of a run's session (the
# suite's servers it started in DIR, found by session id and working directory).
stop_left() {
  local d=$1 sid=$2 pids="" p cwd i
  for p in $(ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s {print $1}'); do
    cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
    case "$cwd" in "$d"|"$d"/*) pids="$pids $p" ;; esac
  done
  [ -n "$pids" ] || return 0
  kill -TERM $pids 2>/dev/null
  for i in $(seq 100); do
    kill -0 $pids 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL $pids 2>/dev/null
  return 0
}
