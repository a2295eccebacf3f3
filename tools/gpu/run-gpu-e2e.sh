#!/usr/bin/env bash
# The GPU end-to-end of nx-uv-cuda (issue 12): on a Linux host with an NVIDIA GPU, drives the real plugin through
# real `nx` over e2e/fixtures/gpu-monorepo: a CUDA extension (kernels/tiny-attn) compiled by the wheel target with
# nvcc inside BuildKit, its caching (Nx cache, wheel key: FLASH_ATTN_CUDA_ARCHS recompiles, MAX_JOBS does not),
# the prod image, and the smoke target running the kernel on the GPU against torch's SDPA.
# Run `tools/gpu/run-gpu-e2e.sh --help` for the options; tools/gpu/pack-for-device.sh makes the archives a host
# without Docker or Node.js needs.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FIXTURE="$REPO_ROOT/e2e/fixtures/gpu-monorepo"
PROJECT="gpu-service"
BACKEND=cu130
BASE_TAG=nx-uv-cuda-gpu-base:cu130
CDI_SPEC=/etc/cdi/nvidia.yaml
# Where the NVIDIA device nodes are looked up (the spec always names /dev/...): a test sets it to a fake /dev.
DEV_DIR="${GPU_E2E_DEV_DIR:-/dev}"
CDI_MARK='# written by nx-uv-cuda tools/gpu/run-gpu-e2e.sh'
ALL_STEPS=engine,base,cdi,workspace,wheel,image,smoke

ENGINE_ARCHIVE=''
ENGINE_PREFIX=/opt/nx-uv-cuda-engine
DATA_ROOT=/var/lib/docker
SNAPSHOTTER=false
BASE_IMAGE=''
USE_CDI=false
NODE_ARCHIVE=''
NODE_MODULES=''
NODE_BIN=''
NX_JS=''
WORK=/tmp/nx-uv-cuda-gpu-e2e
OUT=''
STEPS=$ALL_STEPS
NX_TIMEOUT=580
PRUNE_BUILD_CACHE=false

usage() {
  cat <<'EOF'
Usage: tools/gpu/run-gpu-e2e.sh [options]

Runs the GPU end-to-end of nx-uv-cuda on this host (root, an NVIDIA GPU, a CUDA toolkit in /usr/local/cuda and
torch in /opt/torch/.venv when the base image is to be made here), in steps:
  engine     a Docker engine with buildx: the running one, else --engine-archive unpacked and dockerd started
  base       the base image nx-uv-cuda-gpu-base:cu130: --base-image, else made from this host's own files
  cdi        --cdi: write /etc/cdi/nvidia.yaml (nvidia.com/gpu=all) so smoke takes the CDI path; without --cdi a
             spec this script wrote earlier is removed and smoke passes the /dev/nvidia* nodes
  workspace  an Nx workspace from e2e/fixtures/gpu-monorepo with the packed plugin (--node-modules/--node-archive)
  wheel      nx run gpu-service:wheel-flash-attn-cu130: cold, again (Nx cache), after rm -rf dist, with
             FLASH_ATTN_CUDA_ARCHS=80;90 (must recompile), with MAX_JOBS=8 (must not)
  image      nx run gpu-service:image-prod-cu130
  smoke      nx run gpu-service:smoke-cu130 (the kernel on the GPU against SDPA)
Then prints a summary and writes it to OUT/summary.json (with every log under OUT/logs/).

Options:
  --engine-archive FILE   engine.tar.xz of pack-for-device.sh (bin/: dockerd containerd containerd-shim-runc-v2
                          runc docker docker-init; cli-plugins/docker-buildx), used when `docker info` fails
  --engine-prefix DIR     where to unpack it (default /opt/nx-uv-cuda-engine; dockerd's log is there)
  --data-root DIR         dockerd's --data-root (default /var/lib/docker)
  --containerd-snapshotter  also turn on the containerd image store (doubles the disk the base image takes)
  --base-image REF        use this local image as the base (tagged nx-uv-cuda-gpu-base:cu130)
  --cdi                   exercise the smoke executor's CDI path (see the cdi step)
  --cdi-spec FILE         the spec the cdi step writes (default /etc/cdi/nvidia.yaml, a folder dockerd reads)
  --node-archive FILE     node.tar.xz of pack-for-device.sh (node/bin/node, node/node_modules with nx + the plugin)
  --node-modules DIR      an installed node_modules with nx 24 and nx-uv-cuda (else ./node_modules of --node-archive)
  --node FILE             the node binary (default: the archive's, else `node` on PATH)
  --work DIR              state kept between calls: workspace, Nx cache, facts (default /tmp/nx-uv-cuda-gpu-e2e)
  --out DIR               where summary.json and the logs go (default WORK/out)
  --only STEPS            comma-separated steps to run (default all: engine,base,cdi,workspace,wheel,image,smoke);
                          later calls with the same --work add to the same summary
  --nx-timeout SECONDS    limit of each nx command (default 580)
  --prune-build-cache     `docker builder prune -af` before the cold wheel run, so that nvcc really runs even when
                          an earlier run left the compile in BuildKit's cache (off by default: it is the engine's)
  -h, --help              show this help
EOF
}

log() { printf '[gpu-e2e] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --engine-archive) need_value "$@"; ENGINE_ARCHIVE="$2"; shift 2 ;;
    --engine-prefix) need_value "$@"; ENGINE_PREFIX="$2"; shift 2 ;;
    --data-root) need_value "$@"; DATA_ROOT="$2"; shift 2 ;;
    --containerd-snapshotter) SNAPSHOTTER=true; shift ;;
    --base-image) need_value "$@"; BASE_IMAGE="$2"; shift 2 ;;
    --cdi) USE_CDI=true; shift ;;
    --cdi-spec) need_value "$@"; CDI_SPEC="$2"; shift 2 ;;
    --node-archive) need_value "$@"; NODE_ARCHIVE="$2"; shift 2 ;;
    --node-modules) need_value "$@"; NODE_MODULES="$2"; shift 2 ;;
    --node) need_value "$@"; NODE_BIN="$2"; shift 2 ;;
    --work) need_value "$@"; WORK="$2"; shift 2 ;;
    --out) need_value "$@"; OUT="$2"; shift 2 ;;
    --only) need_value "$@"; STEPS="$2"; shift 2 ;;
    --prune-build-cache) PRUNE_BUILD_CACHE=true; shift ;;
    --nx-timeout) need_value "$@"; NX_TIMEOUT="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for step in ${STEPS//,/ }; do
  case ",$ALL_STEPS," in *",$step,"*) ;; *) die "--only: unknown step $step (steps: $ALL_STEPS)" ;; esac
done
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
[ -z "$ENGINE_ARCHIVE" ] || ENGINE_ARCHIVE="$(abs "$ENGINE_ARCHIVE")"
[ -z "$NODE_ARCHIVE" ] || NODE_ARCHIVE="$(abs "$NODE_ARCHIVE")"
[ -z "$NODE_MODULES" ] || NODE_MODULES="$(abs "$NODE_MODULES")"
WORK="$(abs "$WORK")"
OUT="$(abs "${OUT:-$WORK/out}")"
WS="$WORK/workspace"
FACTS="$WORK/facts.tsv"
mkdir -p "$WORK" "$OUT/logs"
touch "$FACTS"

wants() { case ",$STEPS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
# fact KEY VALUE: one line of the summary (the last value of a key wins).
fact() { printf '%s\t%s\n' "$1" "$2" >>"$FACTS"; log "$1 = $2"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The engine's binaries go first on PATH when this script (or an earlier call of it) unpacked them.
use_engine_prefix() {
  if [ -x "$ENGINE_PREFIX/bin/docker" ]; then
    export PATH="$ENGINE_PREFIX/bin:$PATH"
    local plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    if [ -x "$ENGINE_PREFIX/cli-plugins/docker-buildx" ] && ! timeout 20 docker buildx version >/dev/null 2>&1; then
      mkdir -p "$plugins"
      ln -sf "$ENGINE_PREFIX/cli-plugins/docker-buildx" "$plugins/docker-buildx"
    fi
  fi
}

step_engine() {
  use_engine_prefix
  if timeout 20 docker info >/dev/null 2>&1; then
    log "a Docker engine answers: $(timeout 20 docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
  else
    [ -n "$ENGINE_ARCHIVE" ] || die "no Docker engine answers (docker info) and no --engine-archive was given"
    [ -f "$ENGINE_ARCHIVE" ] || die "--engine-archive $ENGINE_ARCHIVE: no such file"
    [ "$(id -u)" = 0 ] || die "starting dockerd needs root"
    log "unpacking $ENGINE_ARCHIVE into $ENGINE_PREFIX"
    mkdir -p "$ENGINE_PREFIX"
    timeout 300 tar -xJf "$ENGINE_ARCHIVE" -C "$ENGINE_PREFIX"
    for bin in dockerd containerd containerd-shim-runc-v2 runc docker docker-init; do
      [ -x "$ENGINE_PREFIX/bin/$bin" ] || die "the engine archive has no bin/$bin"
    done
    use_engine_prefix
    local features='"cdi":true'
    [ "$SNAPSHOTTER" = false ] || features="$features,\"containerd-snapshotter\":true"
    # Without iptables and docker-proxy on the host: no NAT, no userland proxy (builds and runs use no network).
    printf '{"features":{%s},"iptables":false,"ip-masq":false,"userland-proxy":false}\n' "$features" \
      >"$ENGINE_PREFIX/daemon.json"
    log "starting dockerd ($(cat "$ENGINE_PREFIX/daemon.json"))"
    mkdir -p "$DATA_ROOT"
    setsid env PATH="$PATH" "$ENGINE_PREFIX/bin/dockerd" --config-file "$ENGINE_PREFIX/daemon.json" \
      --data-root "$DATA_ROOT" --pidfile "$ENGINE_PREFIX/dockerd.pid" \
      >"$ENGINE_PREFIX/dockerd.log" 2>&1 </dev/null &
    local waited=0
    until timeout 5 docker info >/dev/null 2>&1; do
      waited=$((waited + 1))
      if [ "$waited" -gt 60 ]; then
        tail -n 30 "$ENGINE_PREFIX/dockerd.log" >&2 || true
        die "dockerd did not answer within 60 s (log: $ENGINE_PREFIX/dockerd.log)"
      fi
      sleep 1
    done
    log "dockerd is up after ${waited} s"
  fi
  timeout 20 docker buildx version >/dev/null 2>&1 || die "docker buildx is missing (install the docker-buildx CLI plugin)"
  fact engine.server "$(timeout 20 docker version --format '{{.Server.Version}}')"
  fact engine.buildx "$(timeout 20 docker buildx version | awk '{print $2}')"
  fact engine.storage "$(timeout 20 docker info --format '{{.Driver}}')"
  fact engine.cdi_spec_dirs "$(timeout 20 docker info --format '{{json .CDISpecDirs}}' 2>/dev/null || echo null)"
  fact engine.runtimes "$(timeout 20 docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' | xargs)"
}

step_base() {
  use_engine_prefix
  local started
  started="$(now)"
  if [ -n "$BASE_IMAGE" ]; then
    timeout 60 docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || die "--base-image $BASE_IMAGE: not in the engine"
    [ "$BASE_IMAGE" = "$BASE_TAG" ] || timeout 60 docker tag "$BASE_IMAGE" "$BASE_TAG"
    fact base.source "$BASE_IMAGE"
  elif timeout 60 docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
    fact base.source "already in the engine"
  else
    [ -x /usr/local/cuda/bin/nvcc ] || die "no /usr/local/cuda/bin/nvcc: give --base-image (an image with nvcc and torch)"
    [ -x /opt/torch/.venv/bin/python3 ] || die "no /opt/torch/.venv/bin/python3: give --base-image"
    local changes=(--change 'ENV PATH=/usr/local/cuda/bin:/opt/torch/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    # The compilers this host's torch builds pick (CC/CXX, e.g. /opt/gcc) go into the image as they are here.
    local name
    for name in CC CXX; do
      if [ -n "${!name:-}" ] && [ -x "${!name}" ]; then changes+=(--change "ENV $name=${!name}"); fi
    done
    local dirs=() dir
    for dir in ./usr ./etc ./bin ./lib ./lib64 ./sbin ./opt/torch ./opt/gcc ./var/lib/dpkg; do
      [ -e "/$dir" ] && dirs+=("$dir")
    done
    log "making $BASE_TAG from this host's files (${dirs[*]}): a few minutes"
    # GNU tar exits 1 when a file changed while it was read (a running system's /etc, logs): kept; 2 is fatal.
    local statuses
    set +e
    (cd / && timeout 1200 tar --warning=no-file-changed --exclude=./usr/local/nvidia --exclude=./opt/nvidia \
      --exclude=./usr/share/doc --exclude=./usr/share/man --exclude='./usr/local/cuda*/nsight*' \
      --exclude="./${ENGINE_PREFIX#/}" -cf - "${dirs[@]}" 2>"$OUT/logs/base-tar.log") |
      timeout 1200 docker import "${changes[@]}" - "$BASE_TAG" >"$OUT/logs/base-import.log" 2>&1
    statuses="${PIPESTATUS[*]}"
    set -e
    [ "${statuses#* }" = 0 ] || die "docker import failed: $(tail -n 5 "$OUT/logs/base-import.log")"
    [ "${statuses%% *}" -le 1 ] || die "tar of the host's files failed (rc ${statuses%% *}): $(tail -n 5 "$OUT/logs/base-tar.log")"
    fact base.source "imported from this host"
  fi
  fact base.seconds "$(elapsed "$started" "$(now)")"
  fact base.size_bytes "$(timeout 60 docker image inspect "$BASE_TAG" --format '{{.Size}}')"
}

step_cdi() {
  if [ "$USE_CDI" = true ]; then
    [ ! -e "$CDI_SPEC" ] || grep -qF "$CDI_MARK" "$CDI_SPEC" || die "$CDI_SPEC exists and was not written by this script: leaving it"
    local gpus=() extra=() node
    for node in "$DEV_DIR"/nvidia[0-9]*; do [ -e "$node" ] && gpus+=("/dev/${node##*/}"); done
    for node in nvidiactl nvidia-uvm nvidia-uvm-tools nvidia-modeset; do [ -e "$DEV_DIR/$node" ] && extra+=("/dev/$node"); done
    [ "${#gpus[@]}" -gt 0 ] || die "--cdi: no /dev/nvidia<N> device on this host"
    mkdir -p "$(dirname "$CDI_SPEC")"
    {
      echo "$CDI_MARK (--cdi): every /dev/nvidia<N> as nvidia.com/gpu=<N> and =all, the control nodes and"
      echo "# /usr/local/nvidia (the driver's user-space libraries) in every container that asks for one."
      echo 'cdiVersion: "0.5.0"'
      echo 'kind: nvidia.com/gpu'
      echo 'devices:'
      local gpu
      for gpu in "${gpus[@]}"; do
        printf '  - name: "%s"\n    containerEdits:\n      deviceNodes:\n        - path: %s\n' "${gpu#/dev/nvidia}" "$gpu"
      done
      printf '  - name: all\n    containerEdits:\n      deviceNodes:\n'
      for gpu in "${gpus[@]}"; do printf '        - path: %s\n' "$gpu"; done
      echo 'containerEdits:'
      echo '  deviceNodes:'
      for node in "${extra[@]}"; do printf '    - path: %s\n' "$node"; done
      if [ -d /usr/local/nvidia ]; then
        local libs=() lib
        for lib in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$lib" ] && libs+=("$lib"); done
        echo '  mounts:'
        echo '    - hostPath: /usr/local/nvidia'
        echo '      containerPath: /usr/local/nvidia'
        echo '      options: [ro, nosuid, nodev, bind]'
        if [ "${#libs[@]}" -gt 0 ]; then
          echo '  env:'
          echo "    - LD_LIBRARY_PATH=$(IFS=:; echo "${libs[*]}")"
        fi
      fi
    } >"$CDI_SPEC"
    fact cdi.spec "$CDI_SPEC (${#gpus[@]} GPU(s))"
  else
    if [ -e "$CDI_SPEC" ] && grep -qF "$CDI_MARK" "$CDI_SPEC"; then rm -f "$CDI_SPEC"; log "removed $CDI_SPEC (written by an earlier --cdi run)"; fi
    fact cdi.spec none
  fi
}

# node, and the node_modules holding nx and the plugin.
resolve_node() {
  if [ -n "$NODE_ARCHIVE" ]; then
    [ -f "$NODE_ARCHIVE" ] || die "--node-archive $NODE_ARCHIVE: no such file"
    if [ ! -x "$WORK/node/bin/node" ] || [ "$NODE_ARCHIVE" -nt "$WORK/node/bin/node" ]; then
      rm -rf "$WORK/node"
      log "unpacking $NODE_ARCHIVE into $WORK/node"
      timeout 300 tar -xJf "$NODE_ARCHIVE" -C "$WORK"
    fi
    [ -n "$NODE_BIN" ] || NODE_BIN="$WORK/node/bin/node"
    [ -n "$NODE_MODULES" ] || NODE_MODULES="$WORK/node/node_modules"
  elif [ -x "$WORK/node/bin/node" ]; then
    [ -n "$NODE_BIN" ] || NODE_BIN="$WORK/node/bin/node"
    [ -n "$NODE_MODULES" ] || NODE_MODULES="$WORK/node/node_modules"
  fi
  [ -n "$NODE_BIN" ] || NODE_BIN="$(command -v node || true)"
  [ -n "$NODE_BIN" ] && [ -x "$NODE_BIN" ] || die "no node: give --node-archive or --node"
  local node_dir
  node_dir="$(dirname "$NODE_BIN")"
  export PATH="$node_dir:$PATH"
  if [ -z "$NODE_MODULES" ] && [ -L "$WS/node_modules" ]; then NODE_MODULES="$(readlink "$WS/node_modules")"; fi
  [ -n "$NODE_MODULES" ] || die "no node_modules: give --node-modules or --node-archive"
  [ -f "$NODE_MODULES/nx/package.json" ] || die "$NODE_MODULES has no nx"
  [ -f "$NODE_MODULES/nx-uv-cuda/package.json" ] || die "$NODE_MODULES has no nx-uv-cuda (the packed plugin)"
  NX_JS="$NODE_MODULES/nx/dist/bin/nx.js"
  [ -f "$NX_JS" ] || NX_JS="$NODE_MODULES/nx/bin/nx.js"
  [ -f "$NX_JS" ] || die "no nx entry point (nx/dist/bin/nx.js) in $NODE_MODULES"
}

step_workspace() {
  resolve_node
  [ -d "$FIXTURE" ] || die "no fixture at $FIXTURE"
  rm -rf "$WS" "$WORK/nx-cache"
  mkdir -p "$WS"
  cp -R "$FIXTURE/." "$WS/"
  ln -s "$NODE_MODULES" "$WS/node_modules"
  local nx_version
  nx_version="$("$NODE_BIN" -p "require('$NODE_MODULES/nx/package.json').version")"
  printf '{\n  "name": "gpu-monorepo",\n  "private": true,\n  "devDependencies": { "nx": "%s" }\n}\n' "$nx_version" >"$WS/package.json"
  cat >"$WS/nx.json" <<'EOF'
{
  "$schema": "./node_modules/nx/schemas/nx-schema.json",
  "plugins": [{ "plugin": "nx-uv-cuda", "options": {} }],
  "defaultBase": "main",
  "parallel": 1
}
EOF
  printf 'node_modules\ndist\n.nx\n' >"$WS/.gitignore"
  if command -v git >/dev/null 2>&1; then
    local id=(-c user.name=nx-uv-cuda -c user.email=nx-uv-cuda@example.invalid)
    timeout 30 git -C "$WS" init -q -b main
    timeout 30 git -C "$WS" add -A
    timeout 30 git "${id[@]}" -C "$WS" commit -q -m initial
  else
    log "no git on this host: the workspace is not a repository (image labels get no revision)"
  fi
  fact workspace.root "$WS"
  fact workspace.nx "$nx_version"
  fact workspace.plugin "$("$NODE_BIN" -p "require('$NODE_MODULES/nx-uv-cuda/package.json').version")"
  fact workspace.node "$("$NODE_BIN" --version)"
  (cd "$WS" && NX_DAEMON=false NX_CACHE_DIRECTORY="$WORK/nx-cache" timeout 120 "$NODE_BIN" "$NX_JS" \
    show project "$PROJECT" --json >"$OUT/logs/show-project.json" 2>"$OUT/logs/show-project.err") ||
    die "nx show project $PROJECT failed: $(tail -n 5 "$OUT/logs/show-project.err")"
  fact workspace.targets "$("$NODE_BIN" -p "Object.keys(require('$OUT/logs/show-project.json').targets).sort().join(' ')")"
}

# nx_run NAME TARGET: one `nx run`, timed, its log kept; facts NAME.seconds, NAME.rc and what the log says.
nx_run() {
  local name="$1" target="$2" log_file="$OUT/logs/$1.log" started rc=0
  log "nx run $PROJECT:$target ($name)"
  started="$(now)"
  (cd "$WS" && NX_DAEMON=false NX_CACHE_DIRECTORY="$WORK/nx-cache" NX_TUI=false CI=true NO_COLOR=1 FORCE_COLOR=0 \
    timeout "$NX_TIMEOUT" "$NODE_BIN" "$NX_JS" run "$PROJECT:$target" >"$log_file.raw" 2>&1) || rc=$?
  # Without terminal colours, so that the log reads (and greps) as plain text.
  sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log_file.raw" >"$log_file" && rm -f "$log_file.raw"
  fact "$name.seconds" "$(elapsed "$started" "$(now)")"
  fact "$name.rc" "$rc"
  if [ "$rc" != 0 ]; then
    tail -n 40 "$log_file" >&2
    log "nx run $PROJECT:$target failed (rc $rc; log: $log_file)"
  fi
  return 0
}

yes_no() { if grep -qE -- "$1" "$2"; then echo yes; else echo no; fi; }

# What a wheel run did. Nx replays a cached task's output, the compile's included: so `compiled` (the executor ran
# the build) and `nvcc_ran` (tiny-attn's setup.py printed its settings: BuildKit ran the compile step rather than
# taking it from its cache) count only when Nx did not replay the task; `wheel_store_hit`: the key was in the local
# wheel store (the executor ran, nothing was built).
wheel_facts() {
  local name="$1" log_file="$OUT/logs/$1.log" hit
  hit="$(yes_no "nx run $PROJECT:wheel-flash-attn-$BACKEND( [^ ]*)? +\[(local|remote) cache\]|existing outputs match the cache" "$log_file")"
  fact "$name.nx_cache_hit" "$hit"
  if [ "$hit" = yes ]; then
    fact "$name.compiled" no
    fact "$name.nvcc_ran" no
    fact "$name.wheel_store_hit" no
  else
    fact "$name.compiled" "$(yes_no "compiling $PROJECT:wheel-flash-attn-$BACKEND" "$log_file")"
    fact "$name.nvcc_ran" "$(yes_no 'tiny-attn: torch .* TORCH_CUDA_ARCH_LIST=' "$log_file")"
    fact "$name.wheel_store_hit" "$(yes_no 'is in the local wheel store' "$log_file")"
  fi
  local wheel
  wheel="$(ls "$WS/dist/services/$PROJECT/wheels/$BACKEND/"*.whl 2>/dev/null | head -n 1 || true)"
  if [ -n "$wheel" ]; then
    fact "$name.wheel" "$(basename "$wheel")"
    if command -v python3 >/dev/null 2>&1; then
      fact "$name.wheel_build_info" "$(timeout 30 python3 -c 'import sys, zipfile
text = zipfile.ZipFile(sys.argv[1]).read("tiny_attn/_build_info.py").decode()
ns = {}; exec(text, ns); info = ns["BUILD_INFO"]
print(" ".join(f"{k}={info.get(k, chr(63))}" for k in ("torch_cuda_arch_list", "max_jobs", "nvcc_threads", "torch_version")))' "$wheel" 2>/dev/null || echo '?')"
    fi
  else
    fact "$name.wheel" none
  fi
}

# The `build-args` line of [tool.nx-uv-cuda] in the service's pyproject.toml.
set_build_args() {
  local file="$WS/services/$PROJECT/pyproject.toml"
  grep -q '^build-args = ' "$file" || die "$file has no build-args line to edit"
  sed -i "s|^build-args = .*|build-args = $1|" "$file"
  log "build-args = $1"
}

step_wheel() {
  resolve_node
  [ -f "$WS/nx.json" ] || die "no workspace at $WS: run the workspace step first"
  use_engine_prefix
  set_build_args '{ FLASH_ATTN_CUDA_ARCHS = "90" }'
  if [ "$PRUNE_BUILD_CACHE" = true ]; then
    log "docker builder prune -af (--prune-build-cache)"
    timeout 300 docker builder prune -af >"$OUT/logs/builder-prune.log" 2>&1
  fi
  nx_run wheel_cold "wheel-flash-attn-$BACKEND"; wheel_facts wheel_cold
  nx_run wheel_warm "wheel-flash-attn-$BACKEND"; wheel_facts wheel_warm
  rm -rf "$WS/dist"
  nx_run wheel_no_dist "wheel-flash-attn-$BACKEND"; wheel_facts wheel_no_dist
  set_build_args '{ FLASH_ATTN_CUDA_ARCHS = "80;90" }'
  nx_run wheel_archs "wheel-flash-attn-$BACKEND"; wheel_facts wheel_archs
  set_build_args '{ FLASH_ATTN_CUDA_ARCHS = "80;90", MAX_JOBS = "8" }'
  nx_run wheel_max_jobs "wheel-flash-attn-$BACKEND"; wheel_facts wheel_max_jobs
}

step_image() {
  resolve_node
  [ -f "$WS/nx.json" ] || die "no workspace at $WS: run the workspace step first"
  use_engine_prefix
  nx_run image_prod "image-prod-$BACKEND"
  local metadata="$WS/dist/services/$PROJECT/images/prod-$BACKEND.json"
  if [ -f "$metadata" ]; then
    fact image_prod.image "$("$NODE_BIN" -p "require('$metadata').image")"
    fact image_prod.size_bytes "$(timeout 60 docker image inspect "$("$NODE_BIN" -p "require('$metadata').image")" --format '{{.Size}}' 2>/dev/null || echo '?')"
  fi
}

step_smoke() {
  resolve_node
  [ -f "$WS/nx.json" ] || die "no workspace at $WS: run the workspace step first"
  use_engine_prefix
  nx_run smoke "smoke-$BACKEND"
  local log_file="$OUT/logs/smoke.log"
  fact smoke.gpu_access "$(grep -oE -- '--gpus all|--device nvidia\.com/gpu=all|--device /dev/nvidia[0-9]+' "$log_file" | head -n 1 || echo none)"
  grep -E '^smoke: ' "$log_file" >"$OUT/logs/smoke-lines.txt" || true
  local line key
  while IFS= read -r line; do
    for key in cuda_available device max_abs_error kernel_ms sdpa_ms arch_list max_jobs result; do
      case " ${line#smoke: } " in *" $key="*)
        local value="${line#* $key=}"; [ "$value" != "$line" ] || value="${line#smoke: $key=}"
        fact "smoke.$key" "${value%% *}" ;;
      esac
    done
  done <"$OUT/logs/smoke-lines.txt"
}

wants engine && step_engine
wants base && step_base
wants cdi && step_cdi
wants workspace && step_workspace
wants wheel && step_wheel
wants image && step_image
wants smoke && step_smoke

# The summary: every fact of this and earlier calls (same --work), nested by its first dot, and the checks.
summarize() {
  local node_bin="${NODE_BIN:-}"
  [ -n "$node_bin" ] || node_bin="$( [ -x "$WORK/node/bin/node" ] && echo "$WORK/node/bin/node" || command -v node || true)"
  [ -n "$node_bin" ] || { log "no node: facts only in $FACTS"; cat "$FACTS"; return 0; }
  cp "$FACTS" "$OUT/facts.tsv"
  timeout 60 "$node_bin" - "$FACTS" "$OUT/summary.json" <<'EOF'
const fs = require('node:fs');
const [facts, out] = process.argv.slice(2);
const flat = {};
for (const line of fs.readFileSync(facts, 'utf8').split('\n')) {
  const tab = line.indexOf('\t');
  if (tab > 0) flat[line.slice(0, tab)] = line.slice(tab + 1);
}
const summary = {};
for (const [key, value] of Object.entries(flat)) {
  const dot = key.indexOf('.');
  const [group, name] = dot > 0 ? [key.slice(0, dot), key.slice(dot + 1)] : ['misc', key];
  (summary[group] ??= {})[name] = /^-?\d+(\.\d+)?$/.test(value) && !/^0\d/.test(value) ? Number(value) : value;
}
const f = (key) => flat[key];
const checks = {};
const check = (name, ran, ok) => { if (ran) checks[name] = ok; };
check('wheel cold compiles with nvcc', f('wheel_cold.rc') !== undefined, f('wheel_cold.rc') === '0' && f('wheel_cold.compiled') === 'yes' && f('wheel_cold.nvcc_ran') === 'yes');
check('wheel again: Nx cache, no compile', f('wheel_warm.rc') !== undefined, f('wheel_warm.rc') === '0' && f('wheel_warm.nx_cache_hit') === 'yes' && f('wheel_warm.nvcc_ran') === 'no');
check('wheel after rm -rf dist: no compile', f('wheel_no_dist.rc') !== undefined, f('wheel_no_dist.rc') === '0' && f('wheel_no_dist.nvcc_ran') === 'no' && f('wheel_no_dist.wheel') !== 'none');
check('FLASH_ATTN_CUDA_ARCHS=80;90 recompiles', f('wheel_archs.rc') !== undefined, f('wheel_archs.rc') === '0' && f('wheel_archs.compiled') === 'yes' && f('wheel_archs.nvcc_ran') === 'yes' && (f('wheel_archs.wheel_build_info') ?? '').includes('8.0;9.0'));
check('MAX_JOBS=8 does not recompile', f('wheel_max_jobs.rc') !== undefined, f('wheel_max_jobs.rc') === '0' && f('wheel_max_jobs.nvcc_ran') === 'no' && f('wheel_max_jobs.compiled') === 'no');
check('image-prod builds', f('image_prod.rc') !== undefined, f('image_prod.rc') === '0');
check('smoke passes on the GPU', f('smoke.rc') !== undefined, f('smoke.rc') === '0' && f('smoke.cuda_available') === 'True' && f('smoke.result') === 'PASS');
summary.checks = checks;
summary.ok = Object.values(checks).every(Boolean);
fs.writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
const rows = [
  ['step', 'seconds', 'rc', 'compiled', 'nvcc', 'nx cache', 'wheel store'],
  ...['wheel_cold', 'wheel_warm', 'wheel_no_dist', 'wheel_archs', 'wheel_max_jobs', 'image_prod', 'smoke']
    .filter((s) => f(`${s}.rc`) !== undefined)
    .map((s) => [s, f(`${s}.seconds`), f(`${s}.rc`), f(`${s}.compiled`) ?? '-', f(`${s}.nvcc_ran`) ?? '-', f(`${s}.nx_cache_hit`) ?? '-', f(`${s}.wheel_store_hit`) ?? '-']),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
for (const [name, ok] of Object.entries(checks)) console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}`);
console.log(`summary: ${out}`);
process.exitCode = summary.ok ? 0 : 1;
EOF
}
summarize
