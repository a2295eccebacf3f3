#!/usr/bin/env bash
# Run Debian's nginx (http_dav_module) as an Nx self-hosted remote cache server:
#   GET/PUT /v1/cache/{hash}, "Authorization: Bearer <token>", 404 = miss, 409 = already stored.
# A read-write token may GET and PUT, an optional read-only token only GET (PUT -> 403); any other
# or missing token -> 401; methods other than GET/PUT -> 405.
#
# nginx runs as a private instance: its own nginx.conf, pid file, logs and temp paths in a state
# folder, bound to 127.0.0.1 only. The system's /etc/nginx config and service are never used.
# Every wait and external command is bounded. See tools/nx-cache/README.md.
set -euo pipefail

APT_TIMEOUT=600
NGINX_CMD_TIMEOUT=20
START_WAIT=20
STOP_WAIT=10
PROBE_TIMEOUT=2

PROG=serve.sh
log() { printf '[nx-cache] %s\n' "$*"; }
die() {
  printf '[nx-cache] ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<EOF
Usage:
  $PROG install
      Install Debian's nginx with apt-get when no nginx with http_dav_module is found
      and Debian's njs module (libnginx-mod-http-js) when missing (noninteractive, bounded,
      idempotent; needs root). The system nginx service is not started.
  $PROG start --port P --data-dir DIR --token RW_TOKEN [--read-only-token RO_TOKEN]
              [--state-dir DIR] [--pidfile FILE]
      Write nginx.conf into the state folder, start nginx on 127.0.0.1:P, wait (<= ${START_WAIT} s)
      until it answers, then print its URL (http://127.0.0.1:P) on stdout.
  $PROG stop (--pidfile FILE | --state-dir DIR | --data-dir DIR)
      Stop that instance (QUIT; TERM after ${STOP_WAIT} s; KILL 5 s later). No instance: exit 0.
  $PROG status (--pidfile FILE | --state-dir DIR | --data-dir DIR)
      Exit 0 when the instance runs, 1 otherwise.

Options:
  --port P               TCP port on 127.0.0.1 (1024-65535).
  --data-dir DIR         where cache entries are stored: DIR/<hash> (created when missing).
  --token RW_TOKEN       bearer token allowed to GET and PUT.
  --read-only-token RO   bearer token allowed to GET only (PUT -> 403). Optional.
  --state-dir DIR        nginx.conf, pid file, logs, temp files. Default: <data-dir>.nginx
                         (next to the data folder).
  --pidfile FILE         the nginx master's pid file. Default: <state-dir>/nginx.pid
  -h, --help             show this help

Tokens must match the RFC 6750 bearer-token characters [A-Za-z0-9._~+/-] (then '=' padding).
Environment: NGINX (nginx binary, default: nginx on PATH or /usr/sbin/nginx);
  NGINX_JS_MODULE (path of ngx_http_js_module.so, or "none"; default: found in nginx's
  modules path). With njs a stored entry is answered 200, as Nx wants; without it 201, which
  Nx 24 takes for an error and retries (a second upload that gets 409) - it still works.

Nx side:
  NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http://127.0.0.1:P
  NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=<token>
EOF
}

# ----------------------------------------------------------------- helpers ---

find_nginx() {
  if [[ -n "${NGINX:-}" ]]; then
    printf '%s\n' "$NGINX"
  elif command -v nginx >/dev/null 2>&1; then
    command -v nginx
  elif [[ -x /usr/sbin/nginx ]]; then
    printf '%s\n' /usr/sbin/nginx
  else
    return 1
  fi
}

nginx_has_dav() {
  local bin
  bin=$(find_nginx) || return 1
  timeout "$NGINX_CMD_TIMEOUT" "$bin" -V 2>&1 | grep -q -- '--with-http_dav_module'
}

abs_path() {
  # Absolute, lexically normalised path (the folder need not exist yet).
  local p=$1
  [[ $p == /* ]] || p="$PWD/$p"
  realpath -m -- "$p"
}

check_conf_path() {
  # Paths are written into nginx.conf inside double quotes: refuse what would break that.
  local what=$1 p=$2
  [[ $p == /* ]] || die "$what must be absolute: $p"
  if [[ $p == *[\"\\\$\;\{\}]* || $p == *$'\n'* || $p == *$'\t'* || $p == *$'\r'* ]]; then
    die "$what contains a character this script will not write into nginx.conf (\" \\ \$ ; { } tab newline): $p"
  fi
}

check_token() {
  local what=$1 t=$2
  [[ -n $t ]] || die "$what is empty"
  [[ $t =~ ^[A-Za-z0-9._~+/-]+=*$ ]] ||
    die "$what must consist of [A-Za-z0-9._~+/-] (then '=' padding), as RFC 6750 bearer tokens do"
}

token_regex() {
  # The token as a PCRE matching exactly it: '.' and '+' are the only regex metacharacters in the
  # bearer-token alphabet; put them into character classes (no backslashes in nginx.conf).
  local t=$1
  t=${t//./[.]}
  t=${t//+/[+]}
  printf '%s' "$t"
}

pid_alive() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

read_pid() {
  local f=$1 pid
  [[ -f $f ]] || return 1
  pid=$(head -c 32 -- "$f" 2>/dev/null | tr -dc '0-9') || return 1
  [[ -n $pid ]] || return 1
  printf '%s\n' "$pid"
}

is_our_nginx() {
  # The pid is an nginx master (guards against a recycled pid).
  local pid=$1 comm
  pid_alive "$pid" || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || ps -o comm= -p "$pid" 2>/dev/null || true)
  [[ $comm == nginx* ]]
}

http_status() {
  # Prints the HTTP status of a token-less GET, or nothing when nothing answers.
  local port=$1
  if command -v curl >/dev/null 2>&1; then
    timeout $((PROBE_TIMEOUT + 1)) curl -s -o /dev/null -w '%{http_code}' --max-time "$PROBE_TIMEOUT" \
      "http://127.0.0.1:$port/v1/cache/0" 2>/dev/null || true
  else
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout "$PROBE_TIMEOUT" bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "GET /v1/cache/0 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
      IFS=" " read -r _ code _ <&3 && printf "%s" "$code"' _ "$port" 2>/dev/null || true
  fi
}

show_log_tail() {
  local f=$1
  if [[ -s $f ]]; then
    printf '[nx-cache] --- last lines of %s ---\n' "$f" >&2
    tail -n 20 -- "$f" >&2 || true
  fi
}

# ------------------------------------------------------------------ install ---

apt_install() {
  timeout "$APT_TIMEOUT" apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

cmd_install() {
  local bin="" js=""
  if nginx_has_dav; then
    bin=$(find_nginx)
    js=$(find_js_module "$bin")
    if [[ -n $js ]]; then
      log "nginx with http_dav_module present: $bin (njs: $js)"
      return 0
    fi
  fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    [[ -n $bin ]] || die "nginx (with http_dav_module) is missing; run '$PROG install' as root on a Debian/Ubuntu host"
    log "nginx present: $bin, without the njs module (not root or no apt-get: not installing libnginx-mod-http-js)"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's service (which would listen on port 80) from being started by the
  # postinst: a policy-rc.d that denies, only while installing and only if there is none.
  local policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    # shellcheck disable=SC2064
    trap "rm -f -- '$policy'" EXIT
  fi
  local -a pkgs=(libnginx-mod-http-js)
  [[ -n $bin ]] || pkgs=(nginx "${pkgs[@]}")
  log "installing ${pkgs[*]} with apt-get"
  if ! apt_install "${pkgs[@]}"; then
    log "apt-get install failed; refreshing the package lists once"
    timeout "$APT_TIMEOUT" apt-get update -q || true
    if ! apt_install "${pkgs[@]}"; then
      [[ -n $bin ]] || apt_install nginx || die "apt-get could not install nginx"
      log "could not install libnginx-mod-http-js: going on without it"
    fi
  fi
  nginx_has_dav || die "nginx installed but it lacks http_dav_module ($(find_nginx || echo 'not found'))"
  bin=$(find_nginx)
  log "nginx installed: $bin (njs: $(find_js_module "$bin" || true))"
}

# -------------------------------------------------------------------- start ---

find_js_module() {
  # Debian's libnginx-mod-http-js (njs); NGINX_JS_MODULE overrides, NGINX_JS_MODULE=none disables.
  local bin=$1 dir
  if [[ -n ${NGINX_JS_MODULE:-} ]]; then
    [[ $NGINX_JS_MODULE != none && -f $NGINX_JS_MODULE ]] && printf '%s\n' "$NGINX_JS_MODULE"
    return 0
  fi
  dir=$(timeout "$NGINX_CMD_TIMEOUT" "$bin" -V 2>&1 | tr ' ' '\n' | sed -n 's/^--modules-path=//p' | head -n 1)
  local f
  for f in "${dir:-/usr/lib/nginx/modules}/ngx_http_js_module.so" /usr/lib/nginx/modules/ngx_http_js_module.so; do
    if [[ -f $f ]]; then
      printf '%s\n' "$f"
      return 0
    fi
  done
}

write_conf() {
  local conf=$1 state=$2 data=$3 port=$4 rw=$5 ro=$6 pidfile=$7 user_line=$8 js_module=$9
  local ro_line="" js_load="" js_http="" js_filter=""
  if [[ -n $js_module ]]; then
    # Nx 24's store() counts only 200 (and 409/403) as success; nginx's DAV answers a new file
    # with 201, which Nx treats as an error and retries (a second upload, then 409). An njs
    # header filter turns that 201 into 200.
    cat >"$state/nx-cache.js" <<'JS'
function createdIsOk(r) {
  if (r.status == 201) {
    r.status = 200;
  }
}
export default { createdIsOk };
JS
    js_load="load_module \"$js_module\";"
    js_http="  js_path \"$state\";
  js_import nxcache from nx-cache.js;"
    js_filter="      js_header_filter nxcache.createdIsOk;"
  fi
  if [[ -n $ro ]]; then
    ro_line="    \"~^Bearer $(token_regex "$ro")\$\" ro;"
  fi
  cat >"$conf.tmp" <<EOF
# Written by tools/nx-cache/serve.sh; rewritten on every start. Nx self-hosted remote cache.
$user_line
$js_load
worker_processes 2;
pid "$pidfile";
error_log "$state/logs/error.log" warn;
daemon on;
events { worker_connections 256; }

http {
  access_log "$state/logs/access.log";
  client_body_temp_path "$state/tmp/body";
  proxy_temp_path "$state/tmp/proxy";
  fastcgi_temp_path "$state/tmp/fastcgi";
  uwsgi_temp_path "$state/tmp/uwsgi";
  scgi_temp_path "$state/tmp/scgi";
  types { }
  default_type application/octet-stream;
  server_tokens off;
  sendfile on;
  client_max_body_size 0;
$js_http

  # Role from the bearer token: regex keys, because nginx compares map string keys
  # case-insensitively and tokens must match exactly.
  map \$http_authorization \$nx_cache_role {
    default none;
    "~^Bearer $(token_regex "$rw")\$" rw;
$ro_line
  }
  # What the role may do with the method.
  map "\$nx_cache_role:\$request_method" \$nx_cache_verdict {
    default 405;
    "~^none:" 401;
    "rw:GET" ok;
    "rw:PUT" ok;
    "ro:GET" ok;
    "ro:PUT" 403;
  }

  server {
    listen 127.0.0.1:$port;
    server_name localhost;

    # Server-level ifs (rewrite module only): evaluated before the location is chosen, and
    # unlike ifs inside a location they do not switch the request's configuration.
    # Nx wants a 401 as text/plain (else: "Misconfigured remote cache endpoint: Requests should
    # respond with text/plain on 401s"); return with a text uses default_type.
    default_type text/plain;
    if (\$nx_cache_verdict = 401) { return 401 "missing or unknown bearer token\\n"; }
    if (\$nx_cache_verdict = 405) { return 405 "Method not allowed: only GET and PUT\\n"; }
    if (\$nx_cache_verdict = 403) { return 403 "Forbidden: this token is read-only\\n"; }

    set \$nx_hash "";
    if (\$uri ~ "^/v1/cache/([A-Za-z0-9_-]+)\$") { set \$nx_hash \$1; }
    if (\$nx_hash = "") { return 404 "Not found: use /v1/cache/<hash>\\n"; }

    # An entry is written once: a PUT of a stored hash gets 409.
    set \$nx_put_state \$request_method;
    if (-f "$data/\$nx_hash") { set \$nx_put_state "\${request_method}:stored"; }
    if (\$nx_put_state = "PUT:stored") { return 409 "Conflict: already stored\\n"; }

    location /v1/cache/ {
      alias "$data/";
      default_type application/octet-stream;
      dav_methods PUT;
      dav_access user:rw group:r;
      create_full_put_path off;
      autoindex off;
      log_not_found off; # a miss is normal, not an error
      limit_except GET PUT { deny all; }
$js_filter
    }
    location / { return 404 "Not found\\n"; }
  }
}
EOF
  mv -f -- "$conf.tmp" "$conf"
}

cmd_start() {
  local port="" data="" rw="" ro="" state="" pidfile=""
  while [[ $# -gt 0 ]]; do
    case $1 in
    --port) port=${2-}; shift 2 || die "--port needs a value" ;;
    --data-dir) data=${2-}; shift 2 || die "--data-dir needs a value" ;;
    --token) rw=${2-}; shift 2 || die "--token needs a value" ;;
    --read-only-token) ro=${2-}; shift 2 || die "--read-only-token needs a value" ;;
    --state-dir) state=${2-}; shift 2 || die "--state-dir needs a value" ;;
    --pidfile) pidfile=${2-}; shift 2 || die "--pidfile needs a value" ;;
    -h | --help) usage; exit 0 ;;
    *) die "start: unknown argument: $1 (see --help)" ;;
    esac
  done
  [[ -n $port ]] || die "start: --port is required"
  if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1024 || 10#$port > 65535)); then
    die "--port must be 1024-65535 (no privileged ports, e.g. a system nginx's 80): $port"
  fi
  port=$((10#$port))
  [[ -n $data ]] || die "start: --data-dir is required"
  [[ -n $rw ]] || die "start: --token is required"
  check_token --token "$rw"
  if [[ -n $ro ]]; then
    check_token --read-only-token "$ro"
    [[ $ro != "$rw" ]] || die "--read-only-token must differ from --token"
  fi
  data=$(abs_path "$data")
  [[ $data != / ]] || die "--data-dir must not be /"
  [[ -n $state ]] || state="$data.nginx"
  state=$(abs_path "$state")
  [[ -n $pidfile ]] || pidfile="$state/nginx.pid"
  pidfile=$(abs_path "$pidfile")
  check_conf_path --data-dir "$data"
  check_conf_path --state-dir "$state"
  check_conf_path --pidfile "$pidfile"
  case "$state/" in "$data/"*) die "--state-dir must not be inside --data-dir" ;; esac

  local bin
  bin=$(find_nginx) || die "nginx not found; run '$PROG install' first"
  nginx_has_dav || die "$bin lacks http_dav_module; run '$PROG install' (Debian's nginx has it)"

  local pid
  if pid=$(read_pid "$pidfile"); then
    if is_our_nginx "$pid"; then
      die "an nginx from $pidfile is already running (pid $pid); '$PROG stop --pidfile $pidfile' first"
    fi
    rm -f -- "$pidfile"
  fi

  mkdir -p -- "$data" "$state/logs" "$state/tmp" "$(dirname -- "$pidfile")"
  local user_line="# not root: workers run as the invoking user"
  if [[ $(id -u) -eq 0 ]]; then
    # Workers run as the data folder's owner (root when root created it), so they can write it.
    local owner group
    owner=$(stat -c %U -- "$data")
    group=$(stat -c %G -- "$data")
    if [[ $owner == UNKNOWN || $group == UNKNOWN ]]; then
      die "the owner of $data has no user/group name; chown it to a named user"
    fi
    user_line="user $owner $group;"
    chown -R -- "$owner:$group" "$state/tmp"
  fi
  [[ -w $data ]] || die "$data is not writable"

  local conf="$state/nginx.conf" errlog="$state/logs/error.log"
  local -a ngx=("$bin" -p "$state/" -c "$conf")
  # -e (nginx >= 1.19.5) keeps nginx from opening the system error log before reading the config.
  if timeout "$NGINX_CMD_TIMEOUT" "$bin" -h 2>&1 | grep -q -- '^ *-e '; then
    ngx+=(-e "$errlog")
  fi

  local js_module out
  js_module=$(find_js_module "$bin")
  write_conf "$conf" "$state" "$data" "$port" "$rw" "$ro" "$pidfile" "$user_line" "$js_module"
  chmod 0600 -- "$conf" # it holds the tokens
  if [[ -n $js_module ]] && ! out=$(timeout "$NGINX_CMD_TIMEOUT" "${ngx[@]}" -t -q 2>&1); then
    log "nginx would not load $js_module (${out//$'\n'/ }); going on without it" >&2
    js_module=""
    write_conf "$conf" "$state" "$data" "$port" "$rw" "$ro" "$pidfile" "$user_line" ""
    chmod 0600 -- "$conf"
  fi
  if [[ -z $js_module ]]; then
    log "no njs module (libnginx-mod-http-js): a new entry is answered 201, so Nx uploads it twice (201, then 409)" >&2
  fi
  if ! out=$(timeout "$NGINX_CMD_TIMEOUT" "${ngx[@]}" -t -q 2>&1); then
    printf '%s\n' "$out" >&2
    die "nginx rejected $conf"
  fi
  if ! out=$(timeout "$NGINX_CMD_TIMEOUT" "${ngx[@]}" 2>&1); then
    printf '%s\n' "$out" >&2
    show_log_tail "$errlog"
    die "nginx did not start (port $port in use?)"
  fi

  local deadline=$((SECONDS + START_WAIT)) code=""
  while ((SECONDS < deadline)); do
    if pid=$(read_pid "$pidfile") && is_our_nginx "$pid"; then
      code=$(http_status "$port")
      # A token-less request must be refused with 401 by this instance.
      [[ $code == 401 ]] && break
    fi
    code=""
    sleep 0.2
  done
  if [[ $code != 401 ]]; then
    show_log_tail "$errlog"
    if pid=$(read_pid "$pidfile") && is_our_nginx "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
    die "nginx did not answer on 127.0.0.1:$port within ${START_WAIT} s"
  fi
  log "nginx pid $pid, data $data, state $state, pidfile $pidfile" >&2
  printf 'http://127.0.0.1:%s\n' "$port"
}

# --------------------------------------------------------------------- stop ---

resolve_pidfile() {
  local pidfile="" state="" data=""
  while [[ $# -gt 0 ]]; do
    case $1 in
    --pidfile) pidfile=${2-}; shift 2 || die "--pidfile needs a value" ;;
    --state-dir) state=${2-}; shift 2 || die "--state-dir needs a value" ;;
    --data-dir) data=${2-}; shift 2 || die "--data-dir needs a value" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
    esac
  done
  if [[ -z $pidfile ]]; then
    if [[ -z $state && -n $data ]]; then state="$(abs_path "$data").nginx"; fi
    [[ -n $state ]] || die "give --pidfile, --state-dir or --data-dir"
    pidfile="$(abs_path "$state")/nginx.pid"
  fi
  abs_path "$pidfile"
}

cmd_stop() {
  local pidfile pid
  pidfile=$(resolve_pidfile "$@")
  if ! pid=$(read_pid "$pidfile"); then
    log "no pid in $pidfile: nothing to stop"
    return 0
  fi
  if ! is_our_nginx "$pid"; then
    log "pid $pid from $pidfile is not a running nginx: removing the stale pid file"
    rm -f -- "$pidfile"
    return 0
  fi
  local sig deadline
  for sig in QUIT TERM; do
    kill "-$sig" "$pid" 2>/dev/null || true
    # QUIT: graceful (lets running uploads finish); TERM: fast.
    if [[ $sig == QUIT ]]; then deadline=$((SECONDS + STOP_WAIT)); else deadline=$((SECONDS + 5)); fi
    while ((SECONDS < deadline)) && pid_alive "$pid"; do sleep 0.2; done
    if ! pid_alive "$pid"; then
      rm -f -- "$pidfile"
      log "stopped nginx pid $pid"
      return 0
    fi
  done
  log "nginx pid $pid ignored QUIT and TERM: KILL (master and its workers)"
  local kids
  kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  kill -KILL "$pid" 2>/dev/null || true
  local k
  for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
  deadline=$((SECONDS + 5))
  while ((SECONDS < deadline)) && pid_alive "$pid"; do sleep 0.2; done
  rm -f -- "$pidfile"
  pid_alive "$pid" && die "nginx pid $pid survived KILL"
  log "killed nginx pid $pid"
}

cmd_status() {
  local pidfile pid
  pidfile=$(resolve_pidfile "$@")
  if pid=$(read_pid "$pidfile") && is_our_nginx "$pid"; then
    log "running: pid $pid ($pidfile)"
    return 0
  fi
  log "not running ($pidfile)"
  return 1
}

# --------------------------------------------------------------------- main ---

[[ $# -gt 0 ]] || { usage >&2; exit 2; }
cmd=$1
shift
case $cmd in
install) cmd_install "$@" ;;
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status "$@" ;;
-h | --help | help) usage ;;
*) usage >&2; die "unknown command: $cmd" ;;
esac
