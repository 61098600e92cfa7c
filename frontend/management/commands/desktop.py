"""``python manage.py desktop``: Cadastre in a native window, on this machine only.

It prepares the database (migrations; the demo catalog when the database has no user yet, unless
``--no-demo``) and the static files, serves the app with a threaded WSGI server on ``127.0.0.1``
(a free port unless ``--port``) and opens it in a native window: pywebview with its Qt backend
(PyQt6 + Qt WebEngine, pinned in requirements.txt; the Debian libraries it needs are listed in
``scripts/common.sh`` and installed by ``scripts/desktop.sh``). Closing the window stops the
server and the command exits 0; so does SIGTERM or Ctrl-C, handled as a clean close.

Where there is no display (neither ``DISPLAY`` nor ``WAYLAND_DISPLAY``), with ``--no-window``, or
when the Qt window cannot be created, it opens the default browser instead (Python's
``webbrowser``: honours the ``BROWSER`` variable) and serves until Ctrl-C or SIGTERM.

Qt WebEngine is Chromium: run as root it needs ``--no-sandbox``, which the command adds to
``QTWEBENGINE_CHROMIUM_FLAGS`` then (and only then). The window keeps its cookies (the login)
under ``CADASTRE_VAR_DIR/desktop``.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import webbrowser
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

HOST = "127.0.0.1"
WINDOW_TITLE = "Cadastre"
WINDOW_SIZE = (1280, 860)
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class QuietRequestHandler(WSGIRequestHandler):
    """Django's development request handler without a log line for each request."""

    def log_message(self, format: str, *args: Any) -> None:
        return


class LocalServer:
    """The app served by a threaded WSGI server in a background thread, on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        try:
            self.httpd = ThreadedWSGIServer((HOST, port), QuietRequestHandler, allow_reuse_address=False)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {HOST}:{port}: {exc.strerror}.") from None
        self.httpd.set_app(get_internal_wsgi_application())
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="cadastre-desktop-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.httpd.server_address[1]}/"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def has_display() -> bool:
    """A Wayland compositor or an X server answers at the display the environment names."""
    if os.environ.get("WAYLAND_DISPLAY"):
        return True
    display = os.environ.get("DISPLAY", "")
    host, _, number = display.rpartition(":")
    number = number.split(".")[0]
    if not number.isdigit():
        return False
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2)
                sock.connect(f"/tmp/.X11-unix/X{number}")  # noqa: S108 (the X11 socket)
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=2).close()
    except OSError:
        return False
    return True


def _qt_environment() -> None:
    """Chromium (inside Qt WebEngine) refuses to start as root with its sandbox on."""
    if os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()


class StopSignals:
    """SIGINT and SIGTERM as a clean stop, whatever event loop (Qt's) holds the main thread.

    A signal may be delivered to any thread (the numerical libraries start native threads), and
    Python runs its handlers only when the main thread runs Python code, which Qt's event loop
    rarely does. So the C-level handler's wake-up byte (``signal.set_wakeup_fd``, written whichever
    thread received the signal) is read by a helper thread: it sets ``requested`` and calls the
    registered callback (closing the window). While ``interrupt_main`` is true (preparing the
    database), the Python handler also raises KeyboardInterrupt in the main thread.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.interrupt_main = False
        self._callback: Callable[[], None] | None = None

    def start(self) -> None:
        """Install the handlers (main thread only) and start the helper thread."""
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)
        threading.Thread(target=self._wait, args=(read_fd,), name="cadastre-desktop-signals", daemon=True).start()

    def on_stop(self, callback: Callable[[], None] | None) -> None:
        self._callback = callback

    def _handle(self, signum: int, frame: object) -> None:
        if self.interrupt_main:
            raise KeyboardInterrupt

    def _wait(self, read_fd: int) -> None:
        while not STOP_SIGNALS.intersection(os.read(read_fd, 64)):
            pass
        self.requested.set()
        callback = self._callback
        if callback is not None:
            callback()


class Command(BaseCommand):
    help = (
        "Open Cadastre in a native window (pywebview, Qt): serves the app on 127.0.0.1 and stops "
        "when the window is closed. Without a display, or with --no-window, opens the default browser."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
        parser.add_argument(
            "--no-window",
            action="store_true",
            help="Open the default browser instead of a native window, and serve until Ctrl-C.",
        )
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="Do not load the demo catalog into an empty database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, not {port}.")
        if settings.SECURE_SSL_REDIRECT:
            raise CommandError("HTTPS=true redirects to HTTPS, which the desktop window does not serve: unset HTTPS.")
        signals = StopSignals()
        signals.start()
        signals.interrupt_main = True  # Ctrl-C or SIGTERM stops the preparation at once
        try:
            self._prepare(load_demo=not options["no_demo"])
        except KeyboardInterrupt:
            raise CommandError("Interrupted before Cadastre started.") from None
        finally:
            signals.interrupt_main = False
        if signals.requested.is_set():
            raise CommandError("Interrupted before Cadastre started.")
        if HOST not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
        server = LocalServer(port)
        server.start()
        try:
            if options["no_window"]:
                self._serve_in_browser(server, signals)
            elif not has_display():
                self.stdout.write(
                    "No display (DISPLAY and WAYLAND_DISPLAY name none that answers): opening the default browser."
                )
                self._serve_in_browser(server, signals)
            else:
                self._serve_in_window(server, signals)
        finally:
            server.stop()
        self.stdout.write("Cadastre stopped.")

    def _prepare(self, *, load_demo: bool) -> None:
        self.stdout.write("Applying database migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        if load_demo and not get_user_model().objects.exists():
            self.stdout.write("Empty database: loading the demo catalog (password 'cadastre-demo' for every user)…")
            call_command("load_demo", verbosity=0, stdout=self.stdout)
        self.stdout.write("Collecting static files…")
        call_command("collectstatic", interactive=False, verbosity=0)

    def _serve_in_browser(self, server: LocalServer, signals: StopSignals) -> None:
        self.stdout.write(f"Cadastre is at {server.url} (Ctrl-C to stop).")
        if not webbrowser.open(server.url):
            self.stdout.write("No browser could be opened: open the address above yourself.")
        signals.requested.wait()

    def _serve_in_window(self, server: LocalServer, signals: StopSignals) -> None:
        _qt_environment()
        try:
            import webview  # Qt loads only when a window is wanted
        except ImportError as exc:
            self.stderr.write(f"No native window ({exc}): opening the default browser instead.")
            self._serve_in_browser(server, signals)
            return
        window = webview.create_window(
            WINDOW_TITLE,
            server.url,
            width=WINDOW_SIZE[0],
            height=WINDOW_SIZE[1],
            text_select=True,
            zoomable=True,
        )
        if window is None:
            raise CommandError("pywebview did not create a window.")
        signals.on_stop(window.destroy)
        self.stdout.write(f"Cadastre is at {server.url}, in a window (close it, or Ctrl-C, to stop).")
        storage = settings.VAR_DIR / "desktop"
        storage.mkdir(parents=True, exist_ok=True)
        try:
            webview.start(gui="qt", private_mode=False, storage_path=str(storage))
        except Exception as exc:  # a Qt that cannot start: say so and use the browser
            signals.on_stop(None)
            self.stderr.write(f"The native window could not open ({exc}): opening the default browser instead.")
            self._serve_in_browser(server, signals)
        finally:
            signals.on_stop(None)
