#!/usr/bin/env bash
# Starts and stops a SECOND, independent Docker engine on this machine that stands for a
# remote build box in tests (a `docker --context NAME` / `DOCKER_HOST=tcp://...` target).
#
# It runs the same dockerd/containerd binaries that provision.sh unpacked (the private prefix
# under $NX_UV_CUDA_CACHE/engine/prefix, bookworm's runc from the host), with everything of its
# own under --state-dir: data root, exec root, pid file, log, unix socket, and a dockerd-managed
# containerd (own config, root, state and socket under the exec root, so it never meets the
# main engine's containerd in /var/run/docker/containerd). The main engine, its
# /etc/docker/daemon.json and the registry are left alone.
#
# SECURITY: the TCP listener is plain HTTP without TLS or authentication (anyone who can
# connect has root). That is acceptable only because it is a test fixture bound to 127.0.0.1.
# Never point --port at a non-loopback address.
#
# Run with --help for usage.
set -euo pipefail

CACHE_DIR="${NX_UV_CUDA_CACHE:-${HOME:-/root}/.cache/nx-uv-cuda}"
ENGINE_PREFIX="${NX_UV_CUDA_ENGINE_PREFIX:-$CACHE_DIR/engine/prefix}"
DOCKERD_BIN="$ENGINE_PREFIX/usr/sbin/dockerd"
# The main engine (source of --load-image); whatever `docker` talks to without -H.
MAIN_DOCKER_HOST="${NX_UV_CUDA_MAIN_DOCKER_HOST:-}"

# Upper bounds (seconds).
DOCKERD_WAIT=60
STOP_WAIT=30
KILL_WAIT=10
LEFTOVER_TERM_WAIT=3
QUERY_TIMEOUT=20
LOAD_TIMEOUT=600
UMOUNT_TIMEOUT=20

log() { printf '[second-engine] %s\n' "$*"; }
warn() { printf '[second-engine] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[second-engine] ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<EOF
Usage:
  tools/docker/second-engine.sh start --port PORT --state-dir DIR [--load-image REF]...
                                      [--context NAME] [--wait SECONDS]
  tools/docker/second-engine.sh stop  --state-dir DIR [--purge]
  tools/docker/second-engine.sh status --state-dir DIR
  tools/docker/second-engine.sh -h | --help

A second, independent dockerd for tests (a stand-in for a remote build box), listening on
tcp://127.0.0.1:PORT (plain TCP, no TLS: loopback-only test fixture) and on
unix://DIR/docker.sock, with its own data root, exec root, pid file and containerd, all
under DIR. Uses the engine binaries provision.sh unpacked into $ENGINE_PREFIX.

start options:
  --port PORT         TCP port on 127.0.0.1 (required)
  --state-dir DIR     directory for all of the engine's state (required; created; keep the
                      path short: unix socket paths under it must stay below 108 bytes)
  --load-image REF    copy image REF from the main engine into the second one
                      (docker save | docker load; repeatable; skipped when already there)
  --context NAME      also create a docker context NAME pointing at tcp://127.0.0.1:PORT
                      (buildx then has a 'docker'-driver builder of the same name)
  --wait SECONDS      how long to wait for 'docker info' (default $DOCKERD_WAIT)
  --bridge-cidr CIDR  address/prefix of the engine's own bridge nxse<PORT> (default
                      10.<200+PORT/256%50>.<PORT%256>.1/24); no iptables, NAT or forwarding

stop options:
  --state-dir DIR     the directory given to start (required)
  --purge             also delete DIR afterwards

stop sends TERM to dockerd (KILL after ${STOP_WAIT}s), then makes sure its containerd, shims and
container processes are gone, unmounts whatever is still mounted under DIR, deletes the
bridge interface and removes the context that start created. status prints the endpoint and
exits 0 when the engine answers.

Files in DIR: docker.sock, docker.pid, dockerd.log, daemon.json, port, bridge, context,
root/ (data root), run/ (exec root; run/containerd/ holds containerd's socket and pid).

Environment:
  NX_UV_CUDA_CACHE          cache dir of provision.sh (default \$HOME/.cache/nx-uv-cuda)
  NX_UV_CUDA_ENGINE_PREFIX  engine prefix (default \$NX_UV_CUDA_CACHE/engine/prefix)
  NX_UV_CUDA_MAIN_DOCKER_HOST
                            the engine --load-image reads from (default: docker's own default)
EOF
}

# ----------------------------------------------------------------- helpers ---

# daemonize, pid_alive
# shellcheck source=tools/docker/daemon-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemon-lib.sh"

pidfile_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  printf '%s' "$pid"
}

print_log_tail() {
  if [[ -s $1 ]]; then
    printf '[second-engine] --- last lines of %s ---\n' "$1" >&2
    awk '/^==== / { n = 0 } { line[n++] = $0 } END { for (i = (n > 30 ? n - 30 : 0); i < n; i++) print line[i] }' "$1" >&2
    printf '[second-engine] --- end of %s ---\n' "$1" >&2
  fi
}

# The docker command lines of the main engine (source of --load-image; docker's own default unless
# NX_UV_CUDA_MAIN_DOCKER_HOST is set) and of the second one (its unix socket, so that neither
# DOCKER_HOST nor DOCKER_CONTEXT can redirect it). SECOND_DOCKER is set once STATE_DIR is known.
MAIN_DOCKER=(docker)
[[ -z $MAIN_DOCKER_HOST ]] || MAIN_DOCKER=(docker -H "$MAIN_DOCKER_HOST")
SECOND_DOCKER=()

second_ready() { timeout "$QUERY_TIMEOUT" docker -H "tcp://127.0.0.1:$PORT" info >/dev/null 2>&1; }

# PATH for dockerd: prefix first (dockerd, containerd, shims, docker-init), then the system
# dirs where bookworm's runc lives (same as provision.sh's dockerd_path).
dockerd_path() {
  printf '%s' "$ENGINE_PREFIX/usr/sbin:$ENGINE_PREFIX/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

# All descendants of the given pids (children first found via /proc/*/stat ppid).
descendants() {
  local -A parent_of=()
  local stat pid rest ppid
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}
    pid=${pid%/stat}
    rest=$(cat "$stat" 2>/dev/null) || continue
    rest=${rest##*) }
    ppid=$(awk '{ print $2 }' <<<"$rest")
    parent_of[$pid]=$ppid
  done
  local -a queue=("$@") out=()
  local cur p
  while ((${#queue[@]})); do
    cur=${queue[0]}
    queue=("${queue[@]:1}")
    for p in "${!parent_of[@]}"; do
      if [[ ${parent_of[$p]} == "$cur" ]]; then
        out+=("$p")
        queue+=("$p")
      fi
    done
  done
  ((${#out[@]})) && printf '%s\n' "${out[@]}"
  return 0
}

# Pids of containerd shims serving our containerd (their command line names our socket).
our_shims() {
  local sock="$STATE_DIR/run/containerd/containerd.sock" f pid cmd
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    cmd=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
    [[ $cmd == *containerd-shim* && $cmd == *" $sock "* ]] && echo "$pid"
  done
  return 0
}

# Waits (bounded) until none of the pids is alive; returns 1 on timeout.
wait_gone() {
  local pid deadline=$((SECONDS + $1))
  shift
  while :; do
    local any=0
    for pid in "$@"; do pid_alive "$pid" && any=1; done
    ((any)) || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

mounts_under() {
  awk -v d="$STATE_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r
}

validate_state_dir() {
  [[ -n $STATE_DIR ]] || die "--state-dir is required"
  [[ $STATE_DIR != *[[:space:]]* ]] || die "--state-dir must not contain whitespace"
  mkdir -p "$STATE_DIR"
  STATE_DIR=$(cd "$STATE_DIR" && pwd -P)
  [[ $STATE_DIR != / ]] || die "--state-dir must not be /"
  # The longest unix socket under it: run/containerd/containerd.sock.ttrpc (sun_path is 108 bytes).
  local longest="$STATE_DIR/run/containerd/containerd.sock.ttrpc"
  ((${#longest} < 100)) || die "--state-dir path is too long for unix sockets ($longest)"
  SECOND_DOCKER=(docker -H "unix://$STATE_DIR/docker.sock")
}

validate_port() {
  [[ -n $PORT ]] || die "--port is required"
  if [[ ! $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then die "invalid port: $PORT"; fi
}

# ------------------------------------------------------------------- start ---

# The default bridge network. BuildKit's RUN steps in dockerd use the engine's "bridge" network
# unless the build says --network=none|host: with "bridge": "none" every RUN fails with
# "network bridge not found". docker0 belongs to the main engine, so this engine gets a bridge
# of its own, nxse<PORT>, created here beforehand with its address (dockerd only creates a missing
# default bridge when it is called docker0, and refuses "bridge" together with "bip"). No
# iptables rules, NAT or forwarding: containers on it reach nothing but the host's bridge
# address. stop deletes the interface.
#
# NEVER "bridge": "none" here: dockerd 26 then deletes the interface docker0 at startup
# (daemon removeDefaultBridgeInterface, name hard-coded), which is the MAIN engine's bridge:
# every RUN step and `docker run` on the main engine fails afterwards with "adding interface
# vethX to bridge docker0 failed: Device does not exist" (seen here).
bridge_name() { printf 'nxse%s' "$PORT"; }
default_bridge_cidr() { printf '10.%s.%s.1/24' "$((200 + PORT / 256 % 50))" "$((PORT % 256))"; }

create_bridge() {
  local name=$1 cidr=$2
  timeout 10 ip link add "$name" type bridge || die "could not create bridge $name (ip link add)"
  printf '%s\n' "$name" >"$STATE_DIR/bridge"
  timeout 10 ip addr add "$cidr" dev "$name" || die "could not give $name the address $cidr"
  timeout 10 ip link set "$name" up || die "could not bring $name up"
}

delete_bridge() {
  local bridge
  bridge=$(cat "$STATE_DIR/bridge" 2>/dev/null || true)
  [[ -n $bridge ]] || return 0
  if timeout 5 ip link show "$bridge" >/dev/null 2>&1; then
    if timeout 10 ip link del "$bridge"; then
      log "deleted network interface $bridge"
    else
      warn "could not delete network interface $bridge"
      return 0
    fi
  fi
  rm -f "$STATE_DIR/bridge"
}

check_bridge_free() {
  local name=$1 cidr=$2 net
  if timeout 5 ip link show "$name" >/dev/null 2>&1; then
    die "network interface $name already exists (a second engine on port $PORT that was not stopped? delete it with: ip link del $name)"
  fi
  net=${cidr%.*}.
  if timeout 5 ip -4 -o addr show | awk -v n="$net" 'index($4, n) == 1 { found = 1 } END { exit !found }'; then
    die "subnet of $cidr is in use on this machine; pick another with --bridge-cidr"
  fi
}

# Containers (and BuildKit's RUN steps) of this engine go into cgroups of their own, not the
# main engine's /docker; stop removes them again.
cgroup_parent() { printf 'nx-uv-cuda-second-%s' "$PORT"; }

remove_cgroups() {
  local name=$1 dir
  for dir in /sys/fs/cgroup/"$name" /sys/fs/cgroup/*/"$name"; do
    [[ -d $dir ]] || continue
    # Only empty cgroups can be removed; rmdir fails (harmlessly) on one that still has tasks.
    timeout 10 find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null ||
      warn "could not remove cgroup $dir"
  done
  return 0
}

write_daemon_json() {
  # Only settings that provision.sh's engine gets from /etc/docker/daemon.json, plus what keeps
  # this one away from the main engine. hosts/tls/pidfile etc. go on the command line.
  cat >"$STATE_DIR/daemon.json" <<EOF
{
  "features": { "containerd-snapshotter": true },
  "bridge": "$BRIDGE",
  "iptables": false,
  "ip6tables": false,
  "ip-masq": false,
  "ip-forward": false,
  "userland-proxy": false,
  "cgroup-parent": "$(cgroup_parent)",
  "shutdown-timeout": 3,
  "log-level": "info"
}
EOF
}

start_engine() {
  local pidfile="$STATE_DIR/docker.pid" logfile="$STATE_DIR/dockerd.log" pid
  [[ -x $DOCKERD_BIN ]] || die "no dockerd at $DOCKERD_BIN: run tools/docker/provision.sh first"
  local runc
  runc=$(PATH=$(dockerd_path) command -v runc) || die "runc not found on dockerd's PATH"
  [[ $runc != "$ENGINE_PREFIX"* ]] || die "dockerd would use $runc instead of the host's runc"

  if pid=$(pidfile_pid "$pidfile") && pid_alive "$pid"; then
    local old_port
    old_port=$(cat "$STATE_DIR/port" 2>/dev/null || true)
    [[ $old_port == "$PORT" ]] || die "a second engine (pid $pid) already runs from $STATE_DIR on port ${old_port:-?}"
    log "dockerd (pid $pid) already runs from $STATE_DIR; waiting for it"
  else
    rm -f "$pidfile" "$STATE_DIR/run/containerd/containerd.pid"
    if timeout 5 ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
      die "something already listens on TCP port $PORT"
    fi
    delete_bridge
    BRIDGE=$(bridge_name)
    [[ -n $BRIDGE_CIDR ]] || BRIDGE_CIDR=$(default_bridge_cidr)
    check_bridge_free "$BRIDGE" "$BRIDGE_CIDR"
    create_bridge "$BRIDGE" "$BRIDGE_CIDR"
    mkdir -p "$STATE_DIR/root" "$STATE_DIR/run"
    write_daemon_json
    printf '%s\n' "$PORT" >"$STATE_DIR/port"
    printf '==== %s second-engine.sh starting dockerd\n' "$(date -u +%FT%TZ)" >>"$logfile"
    # --tls=false explicitly: we know this socket is unauthenticated (loopback test fixture);
    # without it dockerd 26 adds a deprecation delay for plain TCP listeners.
    # --config-file: our own file, so /etc/docker/daemon.json (the main engine's) is not read.
    pid=$(daemonize "$logfile" env PATH="$(dockerd_path)" "$DOCKERD_BIN" \
      --config-file "$STATE_DIR/daemon.json" \
      --host "unix://$STATE_DIR/docker.sock" \
      --host "tcp://127.0.0.1:$PORT" \
      --tls=false \
      --data-root "$STATE_DIR/root" \
      --exec-root "$STATE_DIR/run" \
      --pidfile "$pidfile")
  fi

  local deadline=$((SECONDS + DOCKERD_WAIT))
  until second_ready; do
    if ! pid_alive "$pid"; then
      print_log_tail "$logfile"
      delete_bridge
      die "dockerd exited (log $logfile)"
    fi
    if ((SECONDS >= deadline)); then
      print_log_tail "$logfile"
      die "dockerd did not answer 'docker info' on tcp://127.0.0.1:$PORT within ${DOCKERD_WAIT}s (pid $pid still runs; stop it with: $0 stop --state-dir $STATE_DIR)"
    fi
    sleep 0.5
  done
  log "dockerd (pid $pid) answers on tcp://127.0.0.1:$PORT and unix://$STATE_DIR/docker.sock"
}

# image_id main|second REF: prints the image's id in that engine.
image_id() {
  local -a cmd=("${MAIN_DOCKER[@]}")
  [[ $1 == main ]] || cmd=("${SECOND_DOCKER[@]}")
  timeout "$QUERY_TIMEOUT" "${cmd[@]}" image inspect -f '{{.Id}}' "$2" 2>/dev/null
}

load_image() {
  local ref=$1 src dst
  src=$(image_id main "$ref") || die "--load-image: the main engine has no image $ref"
  if dst=$(image_id second "$ref") && [[ $dst == "$src" ]]; then
    log "image $ref: already in the second engine"
    return 0
  fi
  log "copying $ref from the main engine"
  local t0=$SECONDS
  # Both ends bounded; pipefail makes a failing save fail the pipeline.
  if ! timeout "$LOAD_TIMEOUT" "${MAIN_DOCKER[@]}" save "$ref" |
    timeout "$LOAD_TIMEOUT" "${SECOND_DOCKER[@]}" load -q >/dev/null; then
    die "copying $ref failed or timed out (${LOAD_TIMEOUT}s)"
  fi
  dst=$(image_id second "$ref") || die "$ref is not in the second engine after 'docker load'"
  log "image $ref: loaded in $((SECONDS - t0))s"
}

ensure_context() {
  local name=$1 want="tcp://127.0.0.1:$PORT" have
  if have=$(timeout "$QUERY_TIMEOUT" docker context inspect "$name" -f '{{.Endpoints.docker.Host}}' 2>/dev/null); then
    [[ $have == "$want" ]] || die "docker context $name exists and points at $have, not $want"
    log "docker context $name: exists ($want)"
  else
    local out
    out=$(timeout "$QUERY_TIMEOUT" docker context create "$name" \
      --description "nx-uv-cuda second engine ($STATE_DIR)" --docker "host=$want" 2>&1) ||
      die "docker context create $name failed: $out"
    log "docker context $name: created ($want)"
  fi
  printf '%s\n' "$name" >"$STATE_DIR/context"
}

cmd_start() {
  validate_port
  validate_state_dir
  local t0=$SECONDS ref
  start_engine
  log "engine ready in $((SECONDS - t0))s"
  for ref in "${LOAD_IMAGES[@]}"; do load_image "$ref"; done
  [[ -z $CONTEXT ]] || ensure_context "$CONTEXT"
  log "ready in $((SECONDS - t0))s: DOCKER_HOST=tcp://127.0.0.1:$PORT${CONTEXT:+, context $CONTEXT}"
}

# -------------------------------------------------------------------- stop ---

kill_pids() {
  local sig=$1 pid
  shift
  for pid in "$@"; do kill "-$sig" "$pid" 2>/dev/null || true; done
}

cmd_stop() {
  [[ -n $STATE_DIR ]] || die "--state-dir is required"
  [[ -d $STATE_DIR ]] || { log "no state dir $STATE_DIR: nothing to stop"; return 0; }
  STATE_DIR=$(cd "$STATE_DIR" && pwd -P)
  [[ $STATE_DIR != / ]] || die "--state-dir must not be /"
  local dpid cpid
  local -a tree=()
  dpid=$(pidfile_pid "$STATE_DIR/docker.pid") || dpid=
  cpid=$(pidfile_pid "$STATE_DIR/run/containerd/containerd.pid") || cpid=
  [[ -n $dpid ]] && ! pid_alive "$dpid" && dpid=
  [[ -n $cpid ]] && ! pid_alive "$cpid" && cpid=

  if [[ -n $dpid ]]; then
    # Remember everything it started (containerd, BuildKit's runc children) before it goes.
    mapfile -t tree < <(descendants "$dpid")
    # Test fixture: no graceful container stop (dockerd would give each one 10 s).
    local -a running=()
    mapfile -t running < <(timeout "$QUERY_TIMEOUT" docker -H "unix://$STATE_DIR/docker.sock" ps -q 2>/dev/null || true)
    if ((${#running[@]})) && [[ -n ${running[0]} ]]; then
      log "killing ${#running[@]} running container(s)"
      timeout "$QUERY_TIMEOUT" docker -H "unix://$STATE_DIR/docker.sock" kill "${running[@]}" >/dev/null 2>&1 || true
    fi
    log "stopping dockerd (pid $dpid)"
    kill -TERM "$dpid" 2>/dev/null || true
    if ! wait_gone "$STOP_WAIT" "$dpid"; then
      warn "dockerd did not stop within ${STOP_WAIT}s; sending KILL"
      kill -KILL "$dpid" 2>/dev/null || true
      wait_gone "$KILL_WAIT" "$dpid" || warn "dockerd (pid $dpid) survived KILL"
    fi
  fi

  # What may outlive dockerd: its containerd (normally stopped by dockerd), the shims
  # (detached from containerd by design) and their containers' processes.
  local -a rest=() shims=()
  mapfile -t shims < <(our_shims)
  [[ -n $cpid ]] && rest+=("$cpid")
  rest+=("${tree[@]}" "${shims[@]}")
  if ((${#shims[@]})); then mapfile -t -O "${#rest[@]}" rest < <(descendants "${shims[@]}"); fi
  local -a alive=()
  local pid
  for pid in "${rest[@]}"; do
    [[ -n $pid ]] && pid_alive "$pid" && alive+=("$pid")
  done
  if ((${#alive[@]})); then
    log "terminating leftover processes: ${alive[*]}"
    kill_pids TERM "${alive[@]}"
    if ! wait_gone "$LEFTOVER_TERM_WAIT" "${alive[@]}"; then
      kill_pids KILL "${alive[@]}"
      wait_gone "$KILL_WAIT" "${alive[@]}" || warn "some processes survived KILL: ${alive[*]}"
    fi
  fi

  local mnt
  while read -r mnt; do
    [[ -n $mnt ]] || continue
    timeout "$UMOUNT_TIMEOUT" umount "$mnt" 2>/dev/null || timeout "$UMOUNT_TIMEOUT" umount -l "$mnt" 2>/dev/null ||
      warn "could not unmount $mnt"
  done < <(mounts_under)

  local ctx
  ctx=$(cat "$STATE_DIR/context" 2>/dev/null || true)
  if [[ -n $ctx ]]; then
    # A context that is the current one cannot be removed without -f.
    timeout "$QUERY_TIMEOUT" docker context rm -f "$ctx" >/dev/null 2>&1 || true
    # buildx keeps per-builder bookkeeping for the context's 'docker' builder.
    if [[ $ctx != */* && $ctx != .* ]]; then
      local bx="${DOCKER_CONFIG:-${HOME:-/root}/.docker}/buildx"
      rm -rf "${bx:?}/activity/$ctx" "${bx:?}/refs/$ctx"
    fi
    rm -f "$STATE_DIR/context"
    log "removed docker context $ctx"
  fi
  delete_bridge
  local port
  port=$(cat "$STATE_DIR/port" 2>/dev/null || true)
  [[ -z $port ]] || remove_cgroups "nx-uv-cuda-second-$port"
  rm -f "$STATE_DIR/docker.pid" "$STATE_DIR/docker.sock"

  local left
  left=$(mounts_under)
  [[ -z $left ]] || die "still mounted under $STATE_DIR: $left"
  if ((PURGE)); then
    rm -rf --one-file-system "$STATE_DIR"
    log "removed $STATE_DIR"
  fi
  log "stopped"
}

cmd_status() {
  [[ -n $STATE_DIR && -d $STATE_DIR ]] || die "no state dir ${STATE_DIR:-(none given)}"
  PORT=$(cat "$STATE_DIR/port" 2>/dev/null) || die "no port recorded in $STATE_DIR"
  local pid
  pid=$(pidfile_pid "$STATE_DIR/docker.pid") || pid=
  if second_ready; then
    local ctx
    ctx=$(cat "$STATE_DIR/context" 2>/dev/null || true)
    log "running (pid ${pid:-?}) on tcp://127.0.0.1:$PORT${ctx:+, context $ctx}"
    return 0
  fi
  log "not answering on tcp://127.0.0.1:$PORT (pid ${pid:-none})"
  return 1
}

# -------------------------------------------------------------------- main ---

COMMAND=
PORT=
STATE_DIR=
CONTEXT=
PURGE=0
BRIDGE=
BRIDGE_CIDR=
LOAD_IMAGES=()

need_value() { (($1 >= 2)) || die "$2 needs a value"; }

parse_args() {
  (($#)) || { usage >&2; exit 2; }
  case $1 in
    start | stop | status) COMMAND=$1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown command: $1 (see --help)" ;;
  esac
  while (($#)); do
    case $1 in
      --port) need_value $# "$1"; PORT=$2; shift ;;
      --port=*) PORT=${1#*=} ;;
      --state-dir) need_value $# "$1"; STATE_DIR=$2; shift ;;
      --state-dir=*) STATE_DIR=${1#*=} ;;
      --load-image) need_value $# "$1"; LOAD_IMAGES+=("$2"); shift ;;
      --load-image=*) LOAD_IMAGES+=("${1#*=}") ;;
      --context) need_value $# "$1"; CONTEXT=$2; shift ;;
      --context=*) CONTEXT=${1#*=} ;;
      --wait) need_value $# "$1"; DOCKERD_WAIT=$2; shift ;;
      --wait=*) DOCKERD_WAIT=${1#*=} ;;
      --bridge-cidr) need_value $# "$1"; BRIDGE_CIDR=$2; shift ;;
      --bridge-cidr=*) BRIDGE_CIDR=${1#*=} ;;
      --purge) PURGE=1 ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
  done
  [[ $DOCKERD_WAIT =~ ^[0-9]+$ ]] || die "invalid --wait: $DOCKERD_WAIT"
  if [[ $COMMAND != start ]] && { [[ -n $PORT || -n $CONTEXT || -n $BRIDGE_CIDR ]] || ((${#LOAD_IMAGES[@]})); }; then
    die "--port, --load-image, --context and --bridge-cidr only go with start"
  fi
  if [[ -n $BRIDGE_CIDR ]]; then
    [[ $BRIDGE_CIDR =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || die "invalid --bridge-cidr: $BRIDGE_CIDR (want e.g. 10.213.7.1/24)"
  fi
  if [[ $COMMAND != stop ]] && ((PURGE)); then die "--purge only goes with stop"; fi
  return 0
}

main() {
  parse_args "$@"
  case $COMMAND in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
  esac
}

main "$@"
