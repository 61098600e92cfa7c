#!/usr/bin/env bash
# Cadastre in a native window on this machine (python manage.py desktop): installs the Debian
# libraries the window needs (Qt WebEngine on X11; with apt-get, as root or with sudo), the pinned
# Python packages and the front-end files, then opens the window on the embedded default (./var).
# Closing the window stops everything. Without a display it opens the default browser instead.
# Usage: scripts/desktop.sh [--port P] [--no-window] [--no-demo]
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

apt_install "${DESKTOP_PACKAGES[@]}"
python_env "$ROOT/requirements.txt"
"$ROOT/scripts/assets.sh"
exec python manage.py desktop "$@"
