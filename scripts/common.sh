# Shared helpers for scripts/*.sh (sourced, not executed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CADASTRE_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3.11}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

# apt_install PKG... : install the Debian packages that are missing (apt-get update once).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# python_env REQUIREMENTS_FILE : create the virtualenv if needed and install the pinned packages.
python_env() {
  if ! command -v "$PYTHON_BIN" >/dev/null; then
    PYTHON_BIN=python3
  fi
  "$PYTHON_BIN" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Cadastre needs Python 3.11"' || {
    log "Python 3.11 is required (found $("$PYTHON_BIN" --version 2>&1))"; exit 1; }
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(basename "$1")"
  if [ ! -f "$stamp" ] || [ "$1" -nt "$stamp" ] || [ "$ROOT/requirements.txt" -nt "$stamp" ]; then
    log "installing Python packages from $(basename "$1")"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$1"
    touch "$stamp"
  fi
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
}

# Debian libraries the desktop window needs (pywebview's Qt backend: PyQt6 + Qt WebEngine from PyPI,
# on X11), and for its test: Xvfb, xdotool, x11-utils (xwininfo), imagemagick (screenshots).
DESKTOP_PACKAGES=(libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-xkb1 libx11-xcb1 libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1
  libxshmfence1 libasound2 fonts-dejavu-core)
DESKTOP_TEST_PACKAGES=(xvfb xauth xdotool x11-utils imagemagick)
