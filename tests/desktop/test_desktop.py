"""``python manage.py desktop``: a real native window (pywebview, Qt WebEngine) under Xvfb, and the
default-browser fallback where there is no display.

The command runs as a subprocess on the embedded default in its own var directory (the tests'
DATABASE_URL and service variables are removed: the desktop command is the one-machine set-up).
The window's screenshot is saved to ``test-artifacts/screenshots/desktop_window.png``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from frontend.management.commands.desktop import has_display
from tests.desktop import x11

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
START_TIMEOUT_S = 300  # migrations, the demo catalog (profiled in-process) and collectstatic
WINDOW_TIMEOUT_S = 90
NAVY = (20, 33, 61)  # the header's colour, --c-header
SCALE_OUT_VARIABLES = (
    "DATABASE_URL",
    "ELASTICSEARCH_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "MLFLOW_TRACKING_URI",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "BROWSER",
)


def _wait_for(predicate: Callable[[], object], timeout: float, what: str, process: subprocess.Popen[str]) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process.poll() is not None:
            pytest.fail(f"the desktop command exited ({process.returncode}) while waiting for {what}")
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _url_in(log: Path) -> str | None:
    match = re.search(r"Cadastre is at (http://127\.0\.0\.1:\d+/)", log.read_text(errors="replace"))
    return match.group(1) if match else None


def _status(url: str) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _port_is_free(url: str) -> bool:
    """Nothing listens on the server's port any more (connections may linger in TIME_WAIT)."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


# The command runs on its own embedded default (SQLite in a temporary var directory), whatever
# database the suite runs on: the PostgreSQL pass would only repeat the same minutes.
embedded_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the desktop command runs on its own embedded SQLite default: covered by the SQLite pass",
)


@pytest.fixture
def desktop_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SCALE_OUT_VARIABLES}
    env["CADASTRE_VAR_DIR"] = str(tmp_path / "var")
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py sets it
    return env


@pytest.fixture
def run_desktop(
    tmp_path: Path, desktop_env: dict[str, str]
) -> Iterator[Callable[..., tuple[subprocess.Popen[str], Path]]]:
    """Start ``manage.py desktop ARGS`` with extra environment; never leave it running."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, **env: str) -> tuple[subprocess.Popen[str], Path]:
        log = tmp_path / f"desktop-{len(processes)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "desktop", *args],
                cwd=REPO_ROOT,
                env={**desktop_env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        processes.append(process)
        return process, log

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def display() -> Iterator[str]:
    with x11.xvfb() as name:
        yield name


def _painted(display: str, window: int, path: Path) -> bool:
    """The window shows Cadastre's page: its navy header is drawn at the top."""
    x11.screenshot(display, path, window=str(window))
    with Image.open(path) as image:
        return image.convert("RGB").getpixel((10, 10)) == NAVY


@embedded_only
def test_the_window_opens_the_app_logs_in_and_closes_cleanly(
    display: str, run_desktop: Callable[..., tuple[subprocess.Popen[str], Path]], tmp_path: Path
) -> None:
    process, log = run_desktop(DISPLAY=display)
    url = _wait_for(lambda: _url_in(log), START_TIMEOUT_S, "the server", process)
    text = log.read_text()
    assert "Empty database: loading the demo catalog" in text
    assert "in a window" in text
    assert _status(f"{url}accounts/login/") == 200

    windows = _wait_for(lambda: x11.windows_of(display, process.pid), WINDOW_TIMEOUT_S, "the window", process)
    window = windows[0]
    probe = tmp_path / "probe.png"
    _wait_for(lambda: _painted(display, window, probe), WINDOW_TIMEOUT_S, "the login page in the window", process)

    # A person logs in with the keyboard: the login form focuses the username field.
    x11.xdotool(display, "windowfocus", "--sync", str(window))
    x11.xdotool(display, "type", "--delay", "20", "alice")
    x11.xdotool(display, "key", "Tab")
    x11.xdotool(display, "type", "--delay", "20", "cadastre-demo")
    x11.xdotool(display, "key", "Return")
    database = Path(tmp_path / "var" / "cadastre.sqlite3")

    def logged_in() -> bool:
        with sqlite3.connect(database) as connection:
            row = connection.execute("SELECT last_login FROM auth_user WHERE username = 'alice'").fetchone()
        return bool(row and row[0])

    _wait_for(logged_in, WINDOW_TIMEOUT_S, "alice's login through the window", process)
    time.sleep(2)  # let the home page paint before the picture
    x11.screenshot(display, SCREENSHOTS / "desktop_window.png")

    x11.close_window(display, window)  # as a window manager's close button does
    assert process.wait(timeout=60) == 0
    assert "Cadastre stopped." in log.read_text()
    assert _port_is_free(url)


@embedded_only
def test_sigterm_closes_the_window_cleanly(
    display: str, run_desktop: Callable[..., tuple[subprocess.Popen[str], Path]]
) -> None:
    process, log = run_desktop("--no-demo", DISPLAY=display)
    url = _wait_for(lambda: _url_in(log), START_TIMEOUT_S, "the server", process)
    _wait_for(lambda: x11.windows_of(display, process.pid), WINDOW_TIMEOUT_S, "the window", process)

    process.send_signal(signal.SIGTERM)  # as a session logout or a service manager does
    assert process.wait(timeout=60) == 0
    assert "Cadastre stopped." in log.read_text()
    assert _port_is_free(url)
    assert x11.windows_of(display, process.pid) == []


@embedded_only
def test_without_a_display_it_opens_the_default_browser_and_stops_on_sigterm(
    run_desktop: Callable[..., tuple[subprocess.Popen[str], Path]], tmp_path: Path
) -> None:
    opened = tmp_path / "opened-url.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    browser.chmod(0o755)
    process, log = run_desktop("--no-demo", BROWSER=f"{browser} %s")

    url = _wait_for(lambda: _url_in(log), START_TIMEOUT_S, "the server", process)
    assert "No display" in log.read_text()
    _wait_for(opened.exists, 30, "the browser to be called", process)
    assert opened.read_text() == url
    assert _status(f"{url}accounts/login/") == 200
    assert "Empty database" not in log.read_text()  # --no-demo

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert "Cadastre stopped." in log.read_text()
    assert _port_is_free(url)


@embedded_only
def test_a_port_in_use_is_refused_with_a_clear_message(
    run_desktop: Callable[..., tuple[subprocess.Popen[str], Path]],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, log = run_desktop("--no-demo", "--no-window", "--port", str(port))
        assert process.wait(timeout=START_TIMEOUT_S) == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in log.read_text()


def test_has_display_only_when_an_x_server_answers(display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    assert not has_display()
    monkeypatch.setenv("DISPLAY", ":4242")  # nothing listens there
    assert not has_display()
    monkeypatch.setenv("DISPLAY", display)
    assert has_display()
    monkeypatch.setenv("DISPLAY", f"{display}.0")
    assert has_display()
