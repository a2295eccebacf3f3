#!/usr/bin/env bash
# Prepares, on a CPU machine with the project's engine provisioned (tools/docker/provision.sh) and Node.js, what a
# GPU host without Docker, Node.js or registries needs for tools/gpu/run-gpu-e2e.sh:
#   OUT/engine.tar.xz  bin/{dockerd,containerd,containerd-shim-runc-v2,runc,docker,docker-init} and
#                      cli-plugins/docker-buildx, stripped (run-gpu-e2e.sh --engine-archive)
#   OUT/node.tar.xz    node/bin/node and node/node_modules with nx and the packed plugin (--node-archive)
# Each must fit, with the working tree, in one 64 MiB transfer to the GPU machine: send them in two calls.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT=/tmp/gpu-pack
ENGINE_PREFIX="$HOME/.cache/nx-uv-cuda/engine/prefix"
WHAT=engine,node
XZ_LEVEL=-9e
LIMIT_MIB=64

usage() {
  cat <<'EOF'
Usage: tools/gpu/pack-for-device.sh [--out DIR] [--only engine|node|engine,node] [--engine-prefix DIR] [--fast]

  --out DIR            where the archives go (default /tmp/gpu-pack); keep it out of git (tmp/gpu-pack is: tmp/ is ignored)
  --only LIST          engine, node or both (default both)
  --engine-prefix DIR  the unpacked trixie engine of tools/docker/provision.sh (default ~/.cache/nx-uv-cuda/engine/prefix):
                       dockerd, containerd, containerd-shim-runc-v2, docker-buildx; runc, docker and docker-init are
                       taken from this host's PATH (bookworm's runc: trixie's needs glibc 2.38)
  --fast               xz -6 instead of -9e (minutes faster on two cores, a few MB larger)
  -h, --help           show this help
Needs the built plugin (packages/nx-uv-cuda/dist: npm run build) and the npm registry for nx.
EOF
}

log() { printf '[gpu-pack] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ -n "${2:-}" ] || die "--out needs a value"; OUT="$2"; shift 2 ;;
    --only) [ -n "${2:-}" ] || die "--only needs a value"; WHAT="$2"; shift 2 ;;
    --engine-prefix) [ -n "${2:-}" ] || die "--engine-prefix needs a value"; ENGINE_PREFIX="$2"; shift 2 ;;
    --fast) XZ_LEVEL=-6; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
mkdir -p "$OUT"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/gpu-pack.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
wants() { case ",$WHAT," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
size_of() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
first_of() { local f; for f in "$@"; do [ -x "$f" ] && { printf '%s\n' "$f"; return 0; }; done; return 1; }

xz_tar() { # xz_tar ARCHIVE DIR ENTRY...: a reproducible-ish tar of DIR's entries, xz-compressed
  local archive="$1" dir="$2"
  shift 2
  timeout 1800 tar -C "$dir" --owner=0 --group=0 --numeric-owner -cf - "$@" |
    timeout 1800 xz "$XZ_LEVEL" -T0 >"$archive.partial"
  mv "$archive.partial" "$archive"
}

# The tree that travels with each call besides the archive (tracked and untracked, not ignored, files).
tree_bytes() {
  (cd "$REPO_ROOT" && git ls-files -z -co --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
}

report() { # report NAME ARCHIVE
  local bytes tree total
  bytes="$(size_of "$2")"
  tree="$(tree_bytes)"
  total=$((bytes + tree))
  log "$1: $2 $(mib "$bytes") (+ working tree $(mib "$tree") = $(mib "$total") of the ${LIMIT_MIB} MiB per call)"
  [ "$total" -le $((LIMIT_MIB * 1048576)) ] || log "warning: $1 and the working tree exceed ${LIMIT_MIB} MiB: it will not travel in one call"
  printf '%s\t%s\t%s\n' "$1" "$2" "$bytes" >>"$OUT/sizes.tsv"
}

pack_engine() {
  local dir="$STAGE/engine" src
  mkdir -p "$dir/bin" "$dir/cli-plugins"
  for src in dockerd containerd containerd-shim-runc-v2; do
    first_of "$ENGINE_PREFIX/usr/sbin/$src" "$ENGINE_PREFIX/usr/bin/$src" >/dev/null ||
      die "$ENGINE_PREFIX has no $src (run tools/docker/provision.sh first)"
    cp "$(first_of "$ENGINE_PREFIX/usr/sbin/$src" "$ENGINE_PREFIX/usr/bin/$src")" "$dir/bin/$src"
  done
  local runc docker init buildx
  runc="$(command -v runc)" || die "no runc on PATH (apt-get install runc)"
  docker="$(command -v docker)" || die "no docker CLI on PATH"
  # docker-init must be static: the GPU host's image has whatever libc; tini-static is Debian's.
  init="$(first_of /usr/bin/tini-static /usr/bin/docker-init "$ENGINE_PREFIX/usr/bin/docker-init")" ||
    die "no tini-static (apt-get install tini)"
  buildx="$(first_of /usr/libexec/docker/cli-plugins/docker-buildx /usr/local/libexec/docker/cli-plugins/docker-buildx \
    "$HOME/.docker/cli-plugins/docker-buildx" "$ENGINE_PREFIX/usr/libexec/docker/cli-plugins/docker-buildx")" ||
    die "no docker-buildx CLI plugin found"
  cp -L "$runc" "$dir/bin/runc"
  cp -L "$docker" "$dir/bin/docker"
  cp -L "$init" "$dir/bin/docker-init"
  cp -L "$buildx" "$dir/cli-plugins/docker-buildx"
  chmod 0755 "$dir/bin/"* "$dir/cli-plugins/"*
  # Symbols are not needed to run them (most Debian binaries are stripped already; the docker CLI is not).
  if command -v strip >/dev/null 2>&1; then strip "$dir/bin/"* "$dir/cli-plugins/"* 2>/dev/null || true; fi
  {
    echo "engine for tools/gpu/run-gpu-e2e.sh, packed $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
    echo "dockerd: $("$dir/bin/dockerd" --version 2>/dev/null || echo '?')"
    echo "containerd: $("$dir/bin/containerd" --version 2>/dev/null || echo '?')"
    echo "runc: $("$dir/bin/runc" --version 2>/dev/null | head -n 1 || echo '?') ($runc)"
    echo "docker: $("$dir/bin/docker" --version 2>/dev/null || echo '?') ($docker)"
    echo "buildx: $("$dir/cli-plugins/docker-buildx" version 2>/dev/null || echo '?') ($buildx)"
    echo "docker-init: $init"
  } >"$dir/VERSIONS"
  log "packing the engine ($(du -sh "$dir" | cut -f1) unpacked; xz $XZ_LEVEL takes minutes)"
  xz_tar "$OUT/engine.tar.xz" "$dir" VERSIONS bin cli-plugins
  report engine "$OUT/engine.tar.xz"
}

pack_node() {
  local node dir="$STAGE/node" install
  node="$(command -v node)" || die "no node on PATH"
  [ -d "$REPO_ROOT/packages/nx-uv-cuda/dist" ] || die "the plugin is not built (npm run build)"
  # node links only glibc, libstdc++ and libgcc_s (checked below): it runs on any newer glibc.
  if command -v ldd >/dev/null 2>&1; then
    local other
    other="$(ldd "$node" | awk '{ print $1 }' | grep -vE '^(linux-vdso|/lib64/ld-linux|libc\.|libm\.|libdl\.|libpthread\.|libstdc\+\+\.|libgcc_s\.|librt\.)' || true)"
    [ -z "$other" ] || log "warning: $node also links: $other (the GPU host must have them)"
  fi
  log "installing nx and the packed plugin (installPackedPlugin of tools/example-workspace.mjs)"
  install="$(cd "$REPO_ROOT" && timeout 600 node --input-type=module -e \
    "import { installPackedPlugin } from './tools/example-workspace.mjs'; console.log(installPackedPlugin());")"
  [ -f "$install/node_modules/nx/package.json" ] || die "installPackedPlugin gave no node_modules/nx in $install"
  mkdir -p "$dir/bin"
  cp -L "$node" "$dir/bin/node"
  strip "$dir/bin/node" 2>/dev/null && "$dir/bin/node" -e 0 || cp -L "$node" "$dir/bin/node"
  mv "$install/node_modules" "$dir/node_modules"
  rm -rf "$install"
  # Not needed to run nx: type declarations, source maps, docs.
  find "$dir/node_modules" \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -iname 'CHANGELOG*' \) -type f -delete
  printf 'node %s, nx %s, nx-uv-cuda %s\n' "$("$dir/bin/node" --version)" \
    "$(node -p "require('$dir/node_modules/nx/package.json').version")" \
    "$(node -p "require('$dir/node_modules/nx-uv-cuda/package.json').version")" >"$dir/VERSIONS"
  log "packing node and node_modules ($(du -sh "$dir" | cut -f1) unpacked)"
  xz_tar "$OUT/node.tar.xz" "$STAGE" node
  report node "$OUT/node.tar.xz"
}

: >"$OUT/sizes.tsv"
wants engine && pack_engine
wants node && pack_node
log "done: $(ls -1 "$OUT" | tr '\n' ' ')"
cat "$OUT/sizes.tsv"
