#!/usr/bin/env bash
# Front-end packages Cadastre serves itself (never from a CDN), pinned in package-lock.json:
#   chart.js  -> frontend/static/frontend/vendor/chart.umd.min.js (charts, see frontend/static/frontend/charts.js)
#   axe-core  -> stays in node_modules/ (the accessibility browser tests inject it, tests/browser/axe.py)
# Runs `npm ci` when package.json or package-lock.json changed since the last install, then copies
# the served files. The copies are not committed (.gitignore): scripts/run.sh, scripts/test.sh and
# scripts/desktop.sh run this script. Node.js and npm come from Debian's packages when missing.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

command -v npm >/dev/null || apt_install nodejs npm

STAMP="$ROOT/node_modules/.cadastre-installed"
if [ ! -f "$STAMP" ] || [ package-lock.json -nt "$STAMP" ] || [ package.json -nt "$STAMP" ]; then
  log "installing the front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$STAMP"
fi

VENDOR="$ROOT/frontend/static/frontend/vendor"
mkdir -p "$VENDOR"
# The source map too: the minified file names it, and collectstatic's manifest storage checks it.
install -m 644 node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map "$VENDOR/"
install -m 644 node_modules/chart.js/LICENSE.md "$VENDOR/chart.js-LICENSE.md"
