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
# The desktop window's libraries and Xvfb for its test (tests/desktop); Node.js and the front-end
# packages (Chart.js served by the app, axe-core injected by the accessibility tests).
apt_install "${DESKTOP_PACKAGES[@]}" "${DESKTOP_TEST_PACKAGES[@]}"
"$ROOT/scripts/assets.sh"

# Elasticsearch: the tests start their own nodes (tests/services.py) from the distribution fetched
# once into .cache/ by Maven.
command -v java >/dev/null || apt_install openjdk-17-jre-headless
apt_install maven unzip
"$ROOT/scripts/elasticsearch.sh" fetch

if [ "${CADASTRE_SKIP_LINT:-0}" != 1 ]; then
  log "ruff"
  ruff check .
fi

ARTIFACTS="$ROOT/test-artifacts"
mkdir -p "$ARTIFACTS"
WORK="$(mktemp -d /tmp/cadastre-test.XXXXXX)"
# PostgreSQL (scripts/postgres.sh: a throwaway cluster in $WORK, as the 'postgres' user when root).
stop_services() {
  "$ROOT/scripts/postgres.sh" stop --dir "$WORK" || true
  rm -rf "$WORK"
}
trap stop_services EXIT

PG_URL="$("$ROOT/scripts/postgres.sh" start --dir "$WORK" | sed -n 's/^DATABASE_URL=//p')"
[ -n "$PG_URL" ] || { log "PostgreSQL did not start"; exit 1; }

status=0
log "tests on SQLite"
CADASTRE_VAR_DIR="$WORK/var-sqlite" python -m pytest -p no:cacheprovider \
  --junitxml="$ARTIFACTS/junit-sqlite.xml" "$@" || status=$?

log "tests on PostgreSQL"
CADASTRE_VAR_DIR="$WORK/var-postgres" \
DATABASE_URL="$PG_URL" \
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
