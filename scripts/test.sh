#!/usr/bin/env bash
# Install everything the tests need and run every test, on SQLite and on a real PostgreSQL.
#   Debian packages: PostgreSQL, Redis, Chromium (for the browser tests);
#   Python packages: requirements-test.txt (pinned) in ./.venv.
# The services run on 127.0.0.1 only and are stopped when the script ends.
# Usage: scripts/test.sh [extra pytest arguments]
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

apt_install postgresql redis-server chromium fonts-dejavu-core ca-certificates
python_env "$ROOT/requirements-test.txt"

if [ "${CADASTRE_SKIP_LINT:-0}" != 1 ]; then
  log "ruff"
  ruff check .
fi

ARTIFACTS="$ROOT/test-artifacts"
mkdir -p "$ARTIFACTS"
WORK="$(mktemp -d /tmp/cadastre-test.XXXXXX)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PG_DATA="$WORK/pgdata"
PG_PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PG_PASSWORD="cadastre-test"

# PostgreSQL refuses to run as root: run it as the unprivileged 'postgres' user the package made.
pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_services() {
  if [ -f "$PG_DATA/postmaster.pid" ]; then pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null || true; fi
  rm -rf "$WORK"
}
trap stop_services EXIT

log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$WORK"; fi
pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q -c \
  "CREATE ROLE cadastre LOGIN CREATEDB PASSWORD '$PG_PASSWORD';" >/dev/null
pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q -c "CREATE DATABASE cadastre OWNER cadastre;" >/dev/null

status=0
log "tests on SQLite"
CADASTRE_VAR_DIR="$WORK/var-sqlite" python -m pytest -p no:cacheprovider \
  --junitxml="$ARTIFACTS/junit-sqlite.xml" "$@" || status=$?

log "tests on PostgreSQL"
CADASTRE_VAR_DIR="$WORK/var-postgres" \
DATABASE_URL="postgres://cadastre:$PG_PASSWORD@127.0.0.1:$PG_PORT/cadastre" \
  python -m pytest -p no:cacheprovider --junitxml="$ARTIFACTS/junit-postgres.xml" "$@" || status=$?

"$VENV/bin/python" - "$ARTIFACTS" <<'PY'
import sys, xml.etree.ElementTree as ET
from pathlib import Path
total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for name in ("junit-sqlite.xml", "junit-postgres.xml"):
    path = Path(sys.argv[1], name)
    if not path.exists():
        continue
    suite = ET.parse(path).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    figures = {k: int(suite.get(k, 0)) for k in total}
    for k in total:
        total[k] += figures[k]
    print(f"{name}: {figures['tests']} tests, {figures['failures']} failures, {figures['errors']} errors, {figures['skipped']} skipped")
passed = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
print(f"{passed} passed, {total['failures'] + total['errors']} failed, {total['skipped']} skipped")
PY
exit "$status"
