#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks, on 127.0.0.1 only.
#   start --dir DIR [--port P] [-c NAME=VALUE]...
#         initdb into DIR/pgdata (unless already there), start the server on 127.0.0.1 (a free port
#         unless given), create the role and database "cadastre", print DATABASE_URL=...
#         Already running from DIR: print its DATABASE_URL and exit 0.
#   stop --dir DIR
#         stop the server (fast shutdown) and wait for it to exit; DIR is left for the caller to remove.
# DIR holds the cluster (pgdata/), the server log (postgres.log), its socket and its port.
# Durability is off (fsync, synchronous_commit, full_page_writes): the data is disposable.
# Extra server settings: -c NAME=VALUE (repeatable), e.g. -c shared_buffers=1GB.
# PostgreSQL refuses to run as root: as root, the server runs as the 'postgres' user the Debian
# package made, and DIR is given to that user (its parents must let it through, e.g. under /tmp).
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_PASSWORD="${POSTGRES_PASSWORD:-cadastre-test}"

die() { log "$*"; exit 1; }

# pg CMD... : run as 'postgres' when root, else as the current user.
pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$bin" ] || die "PostgreSQL is not installed (Debian package postgresql)"
  echo "$bin"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

print_url() { echo "DATABASE_URL=postgres://cadastre:$PG_PASSWORD@127.0.0.1:$(cat "$DIR/port")/cadastre"; }

running() {
  [ -f "$DIR/pgdata/postmaster.pid" ] && pg "$(pg_bin)/pg_ctl" -D "$DIR/pgdata" status >/dev/null 2>&1
}

start() {
  local bin port="$1"
  shift
  if running; then
    print_url
    return 0
  fi
  bin="$(pg_bin)"
  mkdir -p "$DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$DIR"; fi
  if [ ! -f "$DIR/pgdata/PG_VERSION" ]; then
    pg "$bin/initdb" -D "$DIR/pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ -n "$port" ] || port="$(cat "$DIR/port" 2>/dev/null || free_port)"
  echo "$port" >"$DIR/port"
  log "starting PostgreSQL on 127.0.0.1:$port"
  local options="-c listen_addresses=127.0.0.1 -p $port -k $DIR -c fsync=off -c synchronous_commit=off"
  options+=" -c full_page_writes=off"
  local setting
  for setting in "$@"; do options+=" -c $setting"; done
  pg "$bin/pg_ctl" -D "$DIR/pgdata" -l "$DIR/postgres.log" -w -o "$options" start >/dev/null ||
    { tail -n 20 "$DIR/postgres.log" >&2; die "PostgreSQL did not start (log: $DIR/postgres.log)"; }
  if ! pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAq \
    -c "SELECT 1 FROM pg_roles WHERE rolname = 'cadastre'" | grep -q 1; then
    pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c \
      "CREATE ROLE cadastre LOGIN CREATEDB PASSWORD '$PG_PASSWORD';" >/dev/null
    pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE DATABASE cadastre OWNER cadastre;" >/dev/null
  fi
  print_url
}

stop() {
  [ -f "$DIR/pgdata/postmaster.pid" ] || return 0
  pg "$(pg_bin)/pg_ctl" -D "$DIR/pgdata" -m fast -w stop >/dev/null || true
}

command="${1:-}"
[ $# -eq 0 ] || shift
DIR=""
PORT=""
SETTINGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    -c) SETTINGS+=("$2"); shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$DIR" ] || die "usage: scripts/postgres.sh start|stop --dir DIR [--port PORT] [-c NAME=VALUE]..."
DIR="$(realpath -m "$DIR")"

case "$command" in
  start) start "$PORT" "${SETTINGS[@]}" ;;
  stop) stop ;;
  *) die "usage: scripts/postgres.sh start|stop --dir DIR [--port PORT] [-c NAME=VALUE]..." ;;
esac
