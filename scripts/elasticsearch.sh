#!/usr/bin/env bash
# A real Elasticsearch node for the tests and benchmarks, on 127.0.0.1 only.
#   fetch                       download the node (Maven coordinates below, checksums enforced) and
#                               unpack it into .cache/ (idempotent; no network once cached)
#   start [--port P]            start a node (free port unless given or already used by this state
#                               dir), wait for health yellow, print ELASTICSEARCH_URL=...
#   stop                        stop the node and wait for it to exit (data is kept for a restart)
#   status                      print ELASTICSEARCH_URL=... and exit 0 if up, else exit 3
# Every command takes --state-dir DIR (default $ELASTICSEARCH_STATE_DIR, else /tmp/cadastre-elasticsearch):
# config, data, logs, pid and port of one node live there, so a restart keeps port and data.
# Elasticsearch refuses to run as root: as root, the node runs as the system user cadastre-es.
# Environment: ES_JAVA_OPTS (default -Xms512m -Xmx512m), ES_JAVA_HOME (default: the java on PATH),
# ELASTICSEARCH_CACHE_DIR (default .cache), MAVEN_REPO_LOCAL (default ~/.m2/repository).
# The distribution is the integ-test-zip: server core + x-pack-core/security + transport-netty4 only
# (no analysis-common, mapper-extras, reindex, painless, ingest-common, rest-root).
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ES_VERSION=8.19.21
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
CACHE="${ELASTICSEARCH_CACHE_DIR:-$ROOT/.cache}"
ES_HOME="$CACHE/elasticsearch-$ES_VERSION"
M2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
ES_USER=cadastre-es

die() { log "$*"; exit 1; }

fetch() {
  [ -x "$ES_HOME/bin/elasticsearch" ] && return 0
  command -v mvn >/dev/null || die "mvn is missing (Debian package maven)"
  command -v unzip >/dev/null || die "unzip is missing (Debian package unzip)"
  log "fetching Elasticsearch $ES_VERSION ($ES_ARTIFACT)"
  local out
  out="$(mvn -q -B -C -Dmaven.repo.local="$M2" dependency:get -Dtransitive=false -Dartifact="$ES_ARTIFACT" 2>&1)" ||
    { printf '%s\n' "$out" >&2; die "Maven could not fetch $ES_ARTIFACT"; }
  local zip="$M2/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  [ -f "$zip.sha1" ] || die "no checksum next to $zip"
  [ "$(sha1sum "$zip" | cut -d' ' -f1)" = "$(cut -c1-40 "$zip.sha1")" ] || die "sha1 mismatch for $zip"
  mkdir -p "$CACHE"
  local tmp
  tmp="$(mktemp -d "$CACHE/.elasticsearch-unpack.XXXXXX")"
  unzip -q "$zip" -d "$tmp"
  chmod -R a+rX "$tmp"
  # Atomic: a concurrent fetch that finished first wins, and nothing half-unpacked is ever used.
  mv -T "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME" 2>/dev/null || [ -x "$ES_HOME/bin/elasticsearch" ] ||
    die "cannot unpack into $ES_HOME (remove it and fetch again)"
  rm -rf "$tmp"
}

# as_es CMD... : run as the unprivileged node user when root, else as the current user.
as_es() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# running : the pid in the state dir is a live Elasticsearch process.
running() {
  local pid
  pid="$(cat "$STATE/pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q org.elasticsearch
}

# healthy TIMEOUT_S : cluster health reaches yellow within TIMEOUT_S seconds.
healthy() {
  python3 - "$(cat "$STATE/port")" "$1" <<'PY'
import json, sys, time, urllib.request
port, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        url = f"http://127.0.0.1:{port}/_cluster/health?wait_for_status=yellow&timeout=5s"
        with urllib.request.urlopen(url, timeout=10) as response:
            if json.load(response)["status"] in ("yellow", "green"):
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.2)
PY
}

print_url() { echo "ELASTICSEARCH_URL=http://127.0.0.1:$(cat "$STATE/port")"; }

start() {
  local port="${1:-}"
  if running; then
    [ -z "$port" ] || [ "$port" = "$(cat "$STATE/port")" ] || die "a node already runs from $STATE on another port"
    healthy 60 || die "the node in $STATE runs but is not healthy"
    print_url
    return 0
  fi
  fetch
  local java_home="${ES_JAVA_HOME:-}"
  if [ -z "$java_home" ]; then
    command -v java >/dev/null || die "java is missing (Debian package openjdk-17-jre-headless)"
    java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  fi
  mkdir -p "$STATE/data" "$STATE/logs" "$STATE/tmp"
  if [ ! -d "$STATE/config" ]; then
    cp -r "$ES_HOME/config" "$STATE/config"
  fi
  [ -n "$port" ] || port="$(cat "$STATE/port" 2>/dev/null || free_port)"
  echo "$port" >"$STATE/port"
  [ -s "$STATE/transport_port" ] || free_port >"$STATE/transport_port"
  if [ "$(id -u)" -eq 0 ]; then
    id -u "$ES_USER" >/dev/null 2>&1 ||
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$ES_USER"
    chown -R "$ES_USER:" "$STATE"
    as_es test -x "$ES_HOME/bin/elasticsearch" ||
      die "$ES_USER cannot read $ES_HOME: set ELASTICSEARCH_CACHE_DIR to a directory it can read"
  fi
  log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$port (state in $STATE)"
  rm -f "$STATE/pid"
  if ! as_es env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$STATE/config" ES_TMPDIR="$STATE/tmp" \
    ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms512m -Xmx512m}" \
    timeout 300 "$ES_HOME/bin/elasticsearch" -d -p "$STATE/pid" \
    -E discovery.type=single-node -E network.host=127.0.0.1 \
    -E http.port="$port" -E transport.port="$(cat "$STATE/transport_port")" \
    -E path.data="$STATE/data" -E path.logs="$STATE/logs" \
    -E xpack.security.enabled=false \
    -E cluster.routing.allocation.disk.threshold_enabled=false \
    -E action.destructive_requires_name=false \
    >"$STATE/console.log" 2>&1; then
    { grep -m 5 -E 'ERROR|Exception:' "$STATE/console.log" || tail -n 20 "$STATE/console.log"; } >&2
    stop >/dev/null 2>&1 || true
    die "Elasticsearch did not start (logs in $STATE/logs)"
  fi
  healthy 120 || die "Elasticsearch started but its health is not yellow (logs in $STATE/logs)"
  print_url
}

stop() {
  running || { rm -f "$STATE/pid"; return 0; }
  local pid _
  pid="$(cat "$STATE/pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 600); do  # 60 s for a clean shutdown, then SIGKILL
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "Elasticsearch $pid ignored SIGTERM for 60s: killing it"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$STATE/pid"
}

status() {
  if running && healthy 5; then print_url; else echo "stopped"; exit 3; fi
}

command="${1:-}"
[ $# -eq 0 ] || shift
STATE="${ELASTICSEARCH_STATE_DIR:-/tmp/cadastre-elasticsearch}"
PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --state-dir) STATE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ "$command" != start ] || mkdir -p "$STATE"
STATE="$(realpath -m "$STATE")"

case "$command" in
  fetch) fetch ;;
  start) start "$PORT" ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: scripts/elasticsearch.sh fetch|start|stop|status [--state-dir DIR] [--port PORT]" ;;
esac
