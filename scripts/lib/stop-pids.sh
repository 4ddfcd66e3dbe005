# Sourced by the bench scripts. stop_pids PID...: SIGTERM the servers a
# script started and wait (up to 10 s, then SIGKILL) until they are gone,
# so that a script run right after this one does not find its ports still
# served by them (its start's PING would then reach the old server while
# the new one, unable to bind, has exited).
stop_pids() {
  local p i alive st
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null
  for i in $(seq 100); do
    alive=0
    for p in "$@"; do
      # A child not yet reaped is a zombie (state Z): gone for our purpose.
      st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || st=""
      if [ -n "$st" ] && [ "$st" != Z ]; then alive=1; fi
    done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null
  return 0
}
