# Sourced by tools/docker/provision.sh and tools/docker/second-engine.sh: starting daemons and watching them.

# Runs a command fully detached (own session, no inherited fds beyond 0-2, so
# that neither a caller's lock fd nor a CI runner's pipe is held open) with output
# appended to LOGFILE; prints its pid.
daemonize() {
  local logfile=$1
  shift
  (
    local fd
    for fd in "/proc/$BASHPID/fd"/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@"
  ) </dev/null >>"$logfile" 2>&1 &
  echo $!
}

# True when PID runs and is not a zombie (PID 1 here may not reap orphans, and
# `kill -0` succeeds on zombies).
pid_alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}
