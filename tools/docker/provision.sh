#!/usr/bin/env bash
# Provision what the nx-uv-cuda e2e tests need on this machine:
#   * a Docker engine with BuildKit and the buildx plugin,
#   * a local registry on 127.0.0.1:<port>,
#   * offline stand-ins for the nvidia/cuda base images: for the devel tags a Debian
#     bookworm rootfs with python3, pip, venv, gcc and libc6-dev; for the runtime tags a
#     smaller one with python3 and venv only (no compiler), each imported and tagged.
#
# Idempotent: every step checks for its result first and skips itself.
# Downloads and the rootfs tarball are cached, so a second run takes seconds.
# Run with --help for options. See tools/docker/README.md for background.
set -euo pipefail

# ---------------------------------------------------------------- settings ---

CACHE_DIR="${NX_UV_CUDA_CACHE:-${HOME:-/root}/.cache/nx-uv-cuda}"
REGISTRY_PORT="${NX_UV_CUDA_REGISTRY_PORT:-5000}"
DEBIAN_MIRROR="${NX_UV_CUDA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Debian suite the engine packages come from (bookworm's docker.io 20.10 is too old).
ENGINE_SUITE="${NX_UV_CUDA_ENGINE_SUITE:-trixie}"
ENGINE_PACKAGES=(docker.io containerd docker-buildx)
# Installed from the host's own archive; bookworm's runc must be the one dockerd
# runs (trixie's runc needs glibc 2.38). iproute2: tools/docker/second-engine.sh makes its bridge with `ip`.
HOST_ENGINE_PACKAGES=(runc iptables tini iproute2)
DAEMON_JSON=/etc/docker/daemon.json
CLI_PLUGIN_DIR=/usr/libexec/docker/cli-plugins

ROOTFS_SUITE=bookworm
# gcc/libc6-dev/python3-dev: the e2e tests compile a small C extension in the
# image as a stand-in for flash-attn.
ROOTFS_INCLUDE="python3,python3-pip,python3-setuptools,python3-wheel,python3-venv,python3-dev,gcc,libc6-dev"
# The CPU name stands for a slim Python base (e2e/fixtures/real-layouts builds its CPU stages on it).
DEFAULT_BASE_IMAGES=(
  nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04
  nvidia/cuda:12.8.0-cudnn-devel-ubuntu22.04
  python:3.12-slim-bookworm
)
# The runtime stand-in: python3 and venv, no gcc, libc6-dev or python3-dev. The fixture's prod stage builds on
# it and copies /opt/venv from a stage built on the devel stand-in: both are the same bookworm python3, so the
# venv's python symlink (/usr/bin/python3) resolves in either.
RUNTIME_ROOTFS_INCLUDE="python3,python3-venv"
DEFAULT_RUNTIME_BASE_IMAGES=(
  nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
  nvidia/cuda:12.8.0-cudnn-runtime-ubuntu22.04
)

# Upper bounds (seconds) so that nothing can hang CI.
APT_TIMEOUT=600
DEBOOTSTRAP_TIMEOUT=1200
DOCKER_QUERY_TIMEOUT=20
DOCKER_IMPORT_TIMEOUT=600
DOCKERD_WAIT=60
REGISTRY_WAIT=20
LOCK_WAIT=1800

ENGINE_DIR="$CACHE_DIR/engine"
ENGINE_PREFIX="$ENGINE_DIR/prefix"
BASE_DIR="$CACHE_DIR/base-images"
ROOTFS_TAR="$BASE_DIR/$ROOTFS_SUITE-rootfs.tar"
RUNTIME_ROOTFS_TAR="$BASE_DIR/$ROOTFS_SUITE-runtime-rootfs.tar"
REGISTRY_DIR="$CACHE_DIR/registry"
if [[ $(id -u) -eq 0 ]]; then
  LOG_DIR="${NX_UV_CUDA_LOG_DIR:-/var/log/nx-uv-cuda}"
else
  LOG_DIR="${NX_UV_CUDA_LOG_DIR:-$CACHE_DIR/logs}"
fi

export DEBIAN_FRONTEND=noninteractive

# ----------------------------------------------------------------- helpers ---

# daemonize, pid_alive
# shellcheck source=tools/docker/daemon-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemon-lib.sh"

log() { printf '[provision] %s\n' "$*"; }
warn() { printf '[provision] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[provision] ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<EOF
Usage: tools/docker/provision.sh [options]

Makes a Docker engine with BuildKit + buildx, a local registry and offline
nvidia/cuda stand-in base images (devel and runtime) available. Safe to run
repeatedly.

Options:
  --registry-port PORT  port of the local registry on 127.0.0.1 (default 5000)
  --no-registry         do not check for or start a registry
  --base-image REF      also tag the devel stand-in base image as REF (repeatable)
  --runtime-base-image REF
                        also tag the runtime stand-in (no compiler) as REF
                        (repeatable)
  --check               only report what is present or missing; change nothing;
                        exit 0 when everything is ready, 1 otherwise
  -h, --help            show this help

Environment:
  NX_UV_CUDA_CACHE           cache dir (default \$HOME/.cache/nx-uv-cuda)
  NX_UV_CUDA_LOG_DIR         log dir (default /var/log/nx-uv-cuda as root)
  NX_UV_CUDA_REGISTRY_PORT   same as --registry-port
  NX_UV_CUDA_BASE_IMAGES     extra devel base image refs, space or comma separated
  NX_UV_CUDA_RUNTIME_BASE_IMAGES
                             extra runtime base image refs, the same way
  NX_UV_CUDA_DEBIAN_MIRROR   Debian mirror (default http://deb.debian.org/debian)

Default base image tags (devel stand-in: python3, pip, venv, gcc, libc6-dev):
$(printf '  %s\n' "${DEFAULT_BASE_IMAGES[@]}")
Default runtime base image tags (runtime stand-in: python3, venv):
$(printf '  %s\n' "${DEFAULT_RUNTIME_BASE_IMAGES[@]}")
EOF
}

is_root() { [[ $(id -u) -eq 0 ]]; }
is_apt_system() { command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; }

# Exits with a clear message when we would have to install something but cannot.
require_root_apt() {
  local what=$1
  if ! is_root; then
    die "$what needs root. Re-run as root (e.g. 'sudo $0'), or provide it yourself."
  fi
  if ! is_apt_system; then
    die "$what needs an apt-based system (Debian/Ubuntu). On other systems install Docker >= 25 with the buildx plugin, start it, and re-run."
  fi
}

# Seconds since this script started, for the summary.
elapsed() { printf '%ss' "$SECONDS"; }

# Shows the end of a log, from its last "==== " marker (where this run started
# writing) at most.
print_log_tail() {
  local logfile=$1
  if [[ -s $logfile ]]; then
    printf '[provision] --- last lines of %s ---\n' "$logfile" >&2
    awk '/^==== / { n = 0 } { line[n++] = $0 } END { for (i = (n > 30 ? n - 30 : 0); i < n; i++) print line[i] }' \
      "$logfile" >&2
    printf '[provision] --- end of %s ---\n' "$logfile" >&2
  fi
}

# Starts a daemon and waits, bounded, until it answers:
#
#   start_and_wait NAME LOGFILE WAIT_SECONDS POLL_SECONDS PROBE FAILURE [--pid PID] [--pidfile FILE] [-- COMMAND...]
#
# Runs COMMAND detached (daemonize: setsid, output appended to LOGFILE after a "==== <time> provision.sh
# starting NAME" marker) and writes its pid to FILE with --pidfile; with --pid instead, waits for the process
# PID that already runs. Then runs PROBE (a command or function, no arguments) every POLL_SECONDS until it
# succeeds. When the process exits, or PROBE has not succeeded WAIT_SECONDS after the start, prints the tail
# of LOGFILE and dies with "FAILURE within WAIT_SECONDSs".
start_and_wait() {
  local name=$1 logfile=$2 wait_secs=$3 poll_secs=$4 probe=$5 failure=$6 pid= pidfile=
  shift 6
  while (($#)); do
    case $1 in
      --pid) pid=$2; shift 2 ;;
      --pidfile) pidfile=$2; shift 2 ;;
      --) shift; break ;;
      *) die "start_and_wait: unknown argument $1" ;;
    esac
  done
  if [[ -z $pid ]]; then
    (($#)) || die "start_and_wait: no command to start $name"
    printf '\n==== %s provision.sh starting %s\n' "$(date -Is)" "$name" >>"$logfile"
    pid=$(daemonize "$logfile" "$@")
    [[ -z $pidfile ]] || echo "$pid" >"$pidfile"
    log "started $name (pid $pid, log $logfile)"
  fi

  local deadline=$((SECONDS + wait_secs))
  until "$probe"; do
    if ((SECONDS >= deadline)) || ! pid_alive "$pid"; then
      print_log_tail "$logfile"
      die "$failure within ${wait_secs}s"
    fi
    sleep "$poll_secs"
  done
}

# Serialise concurrent runs (e.g. several CI jobs on one machine).
HAVE_LOCK=0
take_lock() {
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/.provision.lock"
  if ! flock -w "$LOCK_WAIT" 9; then
    die "another provision.sh holds $CACHE_DIR/.provision.lock for more than ${LOCK_WAIT}s"
  fi
  HAVE_LOCK=1
}

# Runs a long command under `timeout`, in the background, so that a signal to
# this script is handled at once (bash defers traps while a foreground command
# runs) and can be passed on to the command's whole process group.
CHILD_PID=
run_bounded() {
  local secs=$1 rc=0
  shift
  timeout "$secs" "$@" &
  CHILD_PID=$!
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=
  return "$rc"
}

# Temp paths of the steps below; all are renamed into place on success, so
# whatever is left of them at exit is debris of an interrupted step.
cleanup_tmp() {
  ((HAVE_LOCK)) || return 0 # they may belong to a concurrent run
  local flavour
  for flavour in devel runtime; do
    remove_rootfs_dir "$(rootfs_tmp_dir "$flavour")"
    rm -f "$(rootfs_tar "$flavour").tmp" "$(rootfs_tar "$flavour").key.tmp"
  done
  rm -rf "$ENGINE_DIR/debs.tmp" "$ENGINE_PREFIX.tmp" \
    "$REGISTRY_DIR/download.tmp" "$REGISTRY_DIR/prefix.tmp"
}

on_signal() {
  trap - INT TERM HUP
  if [[ -n $CHILD_PID ]]; then
    # GNU timeout passes the signal on to its process group.
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  printf '[provision] interrupted\n' >&2
  exit 130
}

# --------------------------------------------------------- apt (host side) ---

# Runs apt-get bounded by a timeout, output to $LOG_DIR/apt.log; on failure
# shows the log tail and exits. The sandbox user is root because downloads go
# into root-owned cache dirs that the _apt user cannot write.
run_apt() {
  local what=$1
  shift
  mkdir -p "$LOG_DIR"
  printf '\n==== %s apt-get %s\n' "$(date -Is)" "$*" >>"$LOG_DIR/apt.log"
  if ! run_bounded "$APT_TIMEOUT" apt-get -q -o DPkg::Lock::Timeout=120 -o APT::Sandbox::User=root \
    "$@" >>"$LOG_DIR/apt.log" 2>&1; then
    print_log_tail "$LOG_DIR/apt.log"
    die "$what failed or timed out (log $LOG_DIR/apt.log)"
  fi
}

APT_UPDATED=0
apt_update_once() {
  ((APT_UPDATED)) && return 0
  log "apt-get update"
  run_apt "apt-get update" update
  APT_UPDATED=1
}

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Installs the given host packages that are not installed yet.
ensure_host_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  require_root_apt "installing ${missing[*]}"
  apt_update_once
  log "apt-get install ${missing[*]}"
  run_apt "apt-get install ${missing[*]}" -y --no-install-recommends install "${missing[@]}"
}

# ------------------------------------------------------------------ engine ---

engine_ready() { timeout "$DOCKER_QUERY_TIMEOUT" docker info >/dev/null 2>&1; }
buildx_ready() { timeout "$DOCKER_QUERY_TIMEOUT" docker buildx version >/dev/null 2>&1; }

# apt options that point apt at a private sources list and state dirs for the
# engine suite, so the system's sources and lists stay untouched.
engine_apt_opts() {
  local apt_dir="$ENGINE_DIR/apt"
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$apt_dir/sources.list" \
    -o "Dir::Etc::SourceParts=/dev/null" \
    -o "Dir::State::Lists=$apt_dir/lists" \
    -o "Dir::Cache=$apt_dir/cache" \
    -o "Acquire::Languages=none"
}

engine_keyring() {
  local keyring
  for keyring in \
    "/usr/share/keyrings/debian-archive-$ENGINE_SUITE-stable.gpg" \
    /usr/share/keyrings/debian-archive-keyring.gpg; do
    [[ -r $keyring ]] && { echo "$keyring"; return 0; }
  done
  return 1
}

# Downloads the engine .debs from $ENGINE_SUITE into $ENGINE_DIR/debs (once).
fetch_engine_debs() {
  local debs="$ENGINE_DIR/debs"
  if [[ -f $debs/.complete ]]; then
    log "engine packages: cached in $debs"
    return 0
  fi
  require_root_apt "downloading the Docker engine"
  local keyring apt_dir="$ENGINE_DIR/apt"
  if ! keyring=$(engine_keyring); then
    ensure_host_packages debian-archive-keyring
    keyring=$(engine_keyring) || die "no Debian archive keyring for $ENGINE_SUITE"
  fi
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [signed-by=$keyring] $DEBIAN_MIRROR $ENGINE_SUITE main" >"$apt_dir/sources.list"
  local -a opts
  mapfile -t opts < <(engine_apt_opts)

  log "fetching $ENGINE_SUITE package lists (private apt state in $apt_dir)"
  run_apt "apt-get update for $ENGINE_SUITE" "${opts[@]}" update

  # Download into a temp dir, then rename: an interrupted run leaves no half cache.
  local tmp="$debs.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "downloading ${ENGINE_PACKAGES[*]} from $ENGINE_SUITE"
  # apt-get download writes into the current directory.
  cd "$tmp"
  run_apt "apt-get download ${ENGINE_PACKAGES[*]}" "${opts[@]}" download "${ENGINE_PACKAGES[@]}"
  cd - >/dev/null
  touch "$tmp/.complete"
  rm -rf "$debs"
  mv "$tmp" "$debs"
}

# Unpacks the cached .debs into $ENGINE_PREFIX (once per set of .debs).
unpack_engine() {
  local debs="$ENGINE_DIR/debs" stamp
  stamp=$(find "$debs" -maxdepth 1 -name '*.deb' -printf '%f\n' | sort | tr '\n' ' ')
  if [[ -f $ENGINE_PREFIX/.complete && $(cat "$ENGINE_PREFIX/.complete") == "$stamp" ]]; then
    log "engine prefix: cached in $ENGINE_PREFIX"
    return 0
  fi
  log "unpacking engine packages into $ENGINE_PREFIX"
  local tmp="$ENGINE_PREFIX.tmp" deb
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$tmp"
  done
  # Never let dockerd pick up a runc from the prefix: it must be the host's.
  rm -f "$tmp/usr/sbin/runc" "$tmp/usr/bin/runc"
  # The package's docker-init is a relative link to tini-static, which the
  # host's tini package provides in /usr/bin (needed by `docker run --init`).
  ln -sfn /usr/bin/tini-static "$tmp/usr/bin/docker-init"
  printf '%s' "$stamp" >"$tmp/.complete"
  rm -rf "$ENGINE_PREFIX"
  mv "$tmp" "$ENGINE_PREFIX"
}

# Makes the buildx plugin (and, if missing, the docker CLI) visible to `docker`.
link_cli() {
  local buildx="$ENGINE_PREFIX$CLI_PLUGIN_DIR/docker-buildx"
  [[ -x $buildx ]] || die "docker-buildx not found in the unpacked packages ($buildx)"
  if ! buildx_ready; then
    mkdir -p "$CLI_PLUGIN_DIR"
    ln -sfn "$buildx" "$CLI_PLUGIN_DIR/docker-buildx"
    log "linked buildx plugin to $CLI_PLUGIN_DIR/docker-buildx"
  fi
  if ! command -v docker >/dev/null 2>&1; then
    if [[ ! -e /usr/local/bin/docker ]]; then
      ln -s "$ENGINE_PREFIX/usr/bin/docker" /usr/local/bin/docker
      log "linked docker CLI to /usr/local/bin/docker"
    fi
    export PATH="$PATH:/usr/local/bin"
  fi
}

# The containerd image store lets the default `docker` buildx driver export
# registry and local cache (--cache-to type=registry,...).
write_daemon_config() {
  if [[ -f $DAEMON_JSON ]]; then
    grep -q '"containerd-snapshotter"[[:space:]]*:[[:space:]]*true' "$DAEMON_JSON" ||
      warn "$DAEMON_JSON exists without \"containerd-snapshotter\": true; left as is (registry cache export may fail)"
    return 0
  fi
  mkdir -p "${DAEMON_JSON%/*}"
  printf '{\n  "features": { "containerd-snapshotter": true }\n}\n' >"$DAEMON_JSON"
  log "wrote $DAEMON_JSON"
}

# PATH for dockerd: prefix first (dockerd, containerd, shims, docker-init), then
# the system dirs, where bookworm's runc lives.
dockerd_path() {
  printf '%s' "$ENGINE_PREFIX/usr/sbin:$ENGINE_PREFIX/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

pidfile_alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ -n $pid ]] && pid_alive "$pid"
}

# A pid file left by a dead daemon whose pid is now a zombie (or reused)
# makes dockerd refuse to start, or wait ~10 s for the old containerd.
remove_stale_pidfile() {
  if [[ -e $1 ]] && ! pidfile_alive "$1"; then rm -f "$1"; fi
}

start_dockerd() {
  local logfile="$LOG_DIR/dockerd.log" runc
  mkdir -p "$LOG_DIR"
  runc=$(PATH=$(dockerd_path) command -v runc) || die "runc not found on dockerd's PATH"
  [[ $runc != "$ENGINE_PREFIX"* ]] || die "dockerd would use $runc instead of the host's runc"

  local failure="dockerd exited or did not answer 'docker info'"
  if pidfile_alive /var/run/docker.pid; then
    local pid
    pid=$(cat /var/run/docker.pid)
    log "dockerd (pid $pid) is running but not answering yet; waiting"
    start_and_wait dockerd "$logfile" "$DOCKERD_WAIT" 1 engine_ready "$failure" --pid "$pid"
  else
    remove_stale_pidfile /var/run/docker.pid
    remove_stale_pidfile /var/run/docker/containerd/containerd.pid
    start_and_wait dockerd "$logfile" "$DOCKERD_WAIT" 1 engine_ready "$failure" -- \
      env PATH="$(dockerd_path)" "$ENGINE_PREFIX/usr/sbin/dockerd" --config-file "$DAEMON_JSON"
  fi
  log "dockerd is up"
}

ensure_engine() {
  if engine_ready && buildx_ready; then
    log "engine: reusing the running Docker engine with buildx"
    check_engine_features
    return 0
  fi
  if engine_ready; then
    log "engine: running, but buildx is missing; adding the plugin"
  else
    # We can only start an engine on the default socket.
    if [[ -n ${DOCKER_HOST:-} ]]; then
      die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine, or unset DOCKER_HOST to get a local one"
    fi
    require_root_apt "installing and starting a Docker engine"
    ensure_host_packages "${HOST_ENGINE_PACKAGES[@]}"
  fi
  fetch_engine_debs
  unpack_engine
  link_cli
  if ! engine_ready; then
    write_daemon_config
    start_dockerd
  fi
  buildx_ready || die "'docker buildx version' still fails; see $CLI_PLUGIN_DIR/docker-buildx"
  check_engine_features
}

# Warns (does not fail) when a reused engine lacks what the project relies on.
check_engine_features() {
  local server store
  server=$(timeout "$DOCKER_QUERY_TIMEOUT" docker version -f '{{.Server.Version}}' 2>/dev/null || echo unknown)
  if [[ $server =~ ^([0-9]+)\. ]] && ((BASH_REMATCH[1] < 25)); then
    warn "Docker server $server is older than 25: named build contexts and registry cache export may not work"
  fi
  store=$(timeout "$DOCKER_QUERY_TIMEOUT" docker info -f '{{.DriverStatus}}' 2>/dev/null || true)
  if [[ $store != *io.containerd.snapshotter* ]]; then
    warn "engine does not use the containerd image store: '--cache-to type=registry' with the docker driver will fail"
  fi
}

# ---------------------------------------------------------------- registry ---

registry_url() { printf 'http://127.0.0.1:%s/v2/' "$REGISTRY_PORT"; }
registry_ready() { curl -fsS --max-time 3 "$(registry_url)" >/dev/null 2>&1; }

# Sets REGISTRY_BIN to a docker-registry binary: the host's, or the Debian
# package fetched into the cache and unpacked (not installed: the package's
# service would listen on 0.0.0.0:5000 with its own config).
REGISTRY_BIN=
find_registry_binary() {
  local cached="$REGISTRY_DIR/prefix/usr/bin/docker-registry"
  if command -v docker-registry >/dev/null 2>&1; then
    REGISTRY_BIN=$(command -v docker-registry)
    return 0
  fi
  if [[ ! -x $cached ]]; then
    require_root_apt "installing docker-registry"
    if ! apt-cache show docker-registry >/dev/null 2>&1; then apt_update_once; fi
    local tmp="$REGISTRY_DIR/download.tmp"
    rm -rf "$tmp" "$REGISTRY_DIR/prefix.tmp"
    mkdir -p "$tmp"
    log "downloading docker-registry"
    cd "$tmp"
    run_apt "apt-get download docker-registry" download docker-registry
    cd - >/dev/null
    dpkg-deb -x "$tmp"/docker-registry_*.deb "$REGISTRY_DIR/prefix.tmp"
    rm -rf "$REGISTRY_DIR/prefix" "$tmp"
    mv "$REGISTRY_DIR/prefix.tmp" "$REGISTRY_DIR/prefix"
  fi
  REGISTRY_BIN=$cached
}

write_registry_config() {
  local config=$1
  mkdir -p "$REGISTRY_DIR/storage-$REGISTRY_PORT"
  cat >"$config" <<EOF
# Written by tools/docker/provision.sh
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/storage-$REGISTRY_PORT
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
}

ensure_registry() {
  ((USE_REGISTRY)) || { log "registry: skipped (--no-registry)"; return 0; }
  command -v curl >/dev/null 2>&1 || ensure_host_packages curl
  if registry_ready; then
    log "registry: reusing 127.0.0.1:$REGISTRY_PORT"
    return 0
  fi
  local config="$REGISTRY_DIR/config-$REGISTRY_PORT.yml" logfile="$LOG_DIR/registry-$REGISTRY_PORT.log"
  mkdir -p "$REGISTRY_DIR" "$LOG_DIR"
  find_registry_binary
  write_registry_config "$config"
  start_and_wait registry "$logfile" "$REGISTRY_WAIT" 0.5 registry_ready \
    "registry on $(registry_url) exited or did not answer" \
    --pidfile "$LOG_DIR/registry-$REGISTRY_PORT.pid" -- "$REGISTRY_BIN" serve "$config"
  log "registry is up on 127.0.0.1:$REGISTRY_PORT"
}

# ------------------------------------------------------------- base images ---

image_exists() { timeout "$DOCKER_QUERY_TIMEOUT" docker image inspect "$1" >/dev/null 2>&1; }

# Two stand-in rootfs flavours: `devel` (python3, pip, venv, python3-dev, gcc, libc6-dev) for the
# nvidia/cuda devel tags, `runtime` (python3, venv) for the runtime tags. Each is its own tarball, key
# and imported image; the functions below take the flavour as their first argument.
rootfs_include() {
  case $1 in
    devel) printf '%s' "$ROOTFS_INCLUDE" ;;
    runtime) printf '%s' "$RUNTIME_ROOTFS_INCLUDE" ;;
    *) die "unknown rootfs flavour: $1" ;;
  esac
}

rootfs_tar() {
  case $1 in
    devel) printf '%s' "$ROOTFS_TAR" ;;
    runtime) printf '%s' "$RUNTIME_ROOTFS_TAR" ;;
    *) die "unknown rootfs flavour: $1" ;;
  esac
}

# The debootstrap target while it is built (removed again at the end, or by cleanup_tmp).
rootfs_tmp_dir() {
  case $1 in
    devel) printf '%s' "$BASE_DIR/rootfs.tmp" ;;
    runtime) printf '%s' "$BASE_DIR/rootfs-runtime.tmp" ;;
    *) die "unknown rootfs flavour: $1" ;;
  esac
}

# A short key of what goes into the rootfs, so a changed package list rebuilds it.
rootfs_key() {
  printf '%s|%s|%s' "$ROOTFS_SUITE" minbase "$(rootfs_include "$1")" | sha256sum | cut -c1-12
}

# The image that `docker import` creates; the nvidia/cuda names are tags of it.
import_ref() {
  local repo=nx-uv-cuda/debian-base
  [[ $1 == devel ]] || repo=nx-uv-cuda/debian-$1-base
  printf '%s:%s-%s' "$repo" "$ROOTFS_SUITE" "$(rootfs_key "$1")"
}

rootfs_cached() {
  local tar
  tar=$(rootfs_tar "$1")
  [[ -s $tar && -f $tar.key && $(cat "$tar.key") == "$(rootfs_key "$1")" ]]
}

# Removes a debootstrap target even if an interrupted run left /proc etc. mounted.
remove_rootfs_dir() {
  local dir=$1 mnt
  [[ -d $dir ]] || return 0
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
  rm -rf --one-file-system "$dir"
}

# Builds the rootfs tarball of a flavour with debootstrap (once); atomic: temp file + rename.
ensure_rootfs_tar() {
  local flavour=$1 tar include dir log
  tar=$(rootfs_tar "$flavour")
  if rootfs_cached "$flavour"; then
    log "rootfs ($flavour): cached in $tar"
    return 0
  fi
  require_root_apt "building the $flavour base image rootfs with debootstrap"
  ensure_host_packages debootstrap
  mkdir -p "$BASE_DIR"
  include=$(rootfs_include "$flavour")
  dir=$(rootfs_tmp_dir "$flavour")
  log="$LOG_DIR/debootstrap-$flavour.log"
  [[ $flavour != devel ]] || log="$LOG_DIR/debootstrap.log"
  remove_rootfs_dir "$dir"
  rm -f "$tar.tmp"
  log "debootstrap $ROOTFS_SUITE for the $flavour stand-in (minbase + $include); takes about a minute"
  if ! run_bounded "$DEBOOTSTRAP_TIMEOUT" debootstrap --variant=minbase --include="$include" \
    "$ROOTFS_SUITE" "$dir" "$DEBIAN_MIRROR" >"$log" 2>&1; then
    print_log_tail "$dir/debootstrap/debootstrap.log"
    print_log_tail "$log"
    remove_rootfs_dir "$dir"
    die "debootstrap ($flavour) failed or timed out (log $log)"
  fi
  # Downloaded .debs and apt lists only make the image bigger.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar --numeric-owner -C "$dir" -cf "$tar.tmp" .
  rootfs_key "$flavour" >"$tar.key.tmp"
  mv "$tar.tmp" "$tar"
  mv "$tar.key.tmp" "$tar.key"
  remove_rootfs_dir "$dir"
  log "rootfs ($flavour): wrote $tar ($(du -h "$tar" | cut -f1))"
}

import_base_image() {
  local flavour=$1 ref=$2 tar
  tar=$(rootfs_tar "$flavour")
  log "docker import $tar as $ref"
  run_bounded "$DOCKER_IMPORT_TIMEOUT" docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL org.nx-uv-cuda.stand-in=true' \
    --change "LABEL org.nx-uv-cuda.stand-in.flavour=$flavour" \
    --change 'CMD ["/bin/bash"]' \
    "$tar" "$ref" >/dev/null || die "docker import failed or timed out"
}

# Tags the stand-in of a flavour with every ref given that the engine does not have yet.
ensure_flavour_images() {
  local flavour=$1 missing=() ref base
  shift
  for ref in "$@"; do
    image_exists "$ref" || missing+=("$ref")
  done
  if ((${#missing[@]} == 0)); then
    log "base images ($flavour): all $# tags present"
    return 0
  fi
  base=$(import_ref "$flavour")
  if ! image_exists "$base"; then
    ensure_rootfs_tar "$flavour"
    import_base_image "$flavour" "$base"
  fi
  for ref in "${missing[@]}"; do
    timeout "$DOCKER_QUERY_TIMEOUT" docker tag "$base" "$ref" || die "docker tag $base $ref failed"
    log "tagged $ref ($flavour stand-in)"
  done
}

ensure_base_images() {
  ensure_flavour_images devel "${BASE_IMAGES[@]}"
  ensure_flavour_images runtime "${RUNTIME_BASE_IMAGES[@]}"
}

# ------------------------------------------------------------ check/summary ---

# Prints one status line per component; returns 1 when anything is missing.
check_all() {
  local ok=0 ref
  if engine_ready; then
    log "engine:   ok (server $(docker version -f '{{.Server.Version}}' 2>/dev/null))"
  else
    log "engine:   MISSING ('docker info' fails)"
    ok=1
  fi
  if buildx_ready; then
    log "buildx:   ok ($(docker buildx version 2>/dev/null))"
  else
    log "buildx:   MISSING ('docker buildx version' fails)"
    ok=1
  fi
  if ((USE_REGISTRY)); then
    if command -v curl >/dev/null 2>&1 && registry_ready; then
      log "registry: ok (127.0.0.1:$REGISTRY_PORT)"
    else
      log "registry: MISSING (nothing answers on $(registry_url))"
      ok=1
    fi
  fi
  for ref in "${BASE_IMAGES[@]}" "${RUNTIME_BASE_IMAGES[@]}"; do
    if image_exists "$ref"; then
      log "image:    ok ($ref)"
    else
      log "image:    MISSING ($ref)"
      ok=1
    fi
  done
  if [[ -f $ENGINE_DIR/debs/.complete ]]; then
    log "cache:    engine packages in $ENGINE_DIR/debs"
  else
    log "cache:    no engine packages cached"
  fi
  local flavour
  for flavour in devel runtime; do
    if rootfs_cached "$flavour"; then
      log "cache:    $flavour rootfs in $(rootfs_tar "$flavour")"
    else
      log "cache:    no $flavour rootfs tarball cached"
    fi
  done
  return "$ok"
}

print_summary() {
  log "ready in $(elapsed)"
  printf '  docker:      client %s, server %s\n' \
    "$(docker version -f '{{.Client.Version}}' 2>/dev/null || echo '?')" \
    "$(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')"
  printf '  buildx:      %s\n' "$(docker buildx version 2>/dev/null || echo '?')"
  if ((USE_REGISTRY)); then
    printf '  registry:    127.0.0.1:%s\n' "$REGISTRY_PORT"
  else
    printf '  registry:    (not managed: --no-registry)\n'
  fi
  printf '  base images: %s\n' "${BASE_IMAGES[0]}"
  printf '               %s\n' "${BASE_IMAGES[@]:1}"
  printf '  runtime:     %s\n' "${RUNTIME_BASE_IMAGES[0]}"
  printf '               %s\n' "${RUNTIME_BASE_IMAGES[@]:1}"
  printf '  logs:        %s\n' "$LOG_DIR"
}

# ------------------------------------------------------------------- main ---

CHECK_ONLY=0
USE_REGISTRY=1
BASE_IMAGES=("${DEFAULT_BASE_IMAGES[@]}")
RUNTIME_BASE_IMAGES=("${DEFAULT_RUNTIME_BASE_IMAGES[@]}")

# A ref is tagged with one flavour only: the first option (or default) that names it wins.
ref_listed() {
  local ref=$1 existing
  for existing in "${BASE_IMAGES[@]}" "${RUNTIME_BASE_IMAGES[@]}"; do
    [[ $existing == "$ref" ]] && return 0
  done
  return 1
}

add_base_image() {
  local ref=$1
  [[ -n $ref ]] || die "--base-image needs a non-empty image reference"
  ref_listed "$ref" || BASE_IMAGES+=("$ref")
}

add_runtime_base_image() {
  local ref=$1
  [[ -n $ref ]] || die "--runtime-base-image needs a non-empty image reference"
  ref_listed "$ref" || RUNTIME_BASE_IMAGES+=("$ref")
}

parse_args() {
  local ref
  local extra=${NX_UV_CUDA_BASE_IMAGES:-}
  for ref in ${extra//,/ }; do add_base_image "$ref"; done
  extra=${NX_UV_CUDA_RUNTIME_BASE_IMAGES:-}
  for ref in ${extra//,/ }; do add_runtime_base_image "$ref"; done
  while (($#)); do
    case $1 in
      --registry-port) (($# >= 2)) || die "--registry-port needs a value"; REGISTRY_PORT=$2; shift ;;
      --registry-port=*) REGISTRY_PORT=${1#*=} ;;
      --no-registry) USE_REGISTRY=0 ;;
      --base-image) (($# >= 2)) || die "--base-image needs a value"; add_base_image "$2"; shift ;;
      --base-image=*) add_base_image "${1#*=}" ;;
      --runtime-base-image) (($# >= 2)) || die "--runtime-base-image needs a value"; add_runtime_base_image "$2"; shift ;;
      --runtime-base-image=*) add_runtime_base_image "${1#*=}" ;;
      --check) CHECK_ONLY=1 ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
  done
  if [[ ! $REGISTRY_PORT =~ ^[0-9]+$ ]] || ((REGISTRY_PORT < 1 || REGISTRY_PORT > 65535)); then
    die "invalid registry port: $REGISTRY_PORT"
  fi
}

main() {
  parse_args "$@"
  if ((CHECK_ONLY)); then
    if check_all; then log "everything is ready"; exit 0; fi
    log "something is missing: run tools/docker/provision.sh"
    exit 1
  fi
  # An engine is the one thing we cannot do without: say so early and plainly.
  if ! command -v docker >/dev/null 2>&1 || ! engine_ready; then
    if ! is_root || ! is_apt_system; then
      require_root_apt "no Docker engine answers 'docker info' (none runs, or its socket is not yours); installing one"
    fi
  fi
  trap on_signal INT TERM HUP
  trap cleanup_tmp EXIT
  take_lock
  mkdir -p "$LOG_DIR"
  ensure_engine
  ensure_registry
  ensure_base_images
  print_summary
}

# Run unless sourced (a test may source this file for its functions).
if ! (return 0 2>/dev/null); then
  main "$@"
fi
