"""Small X11 helpers for the desktop tests, on Debian's Xvfb, xdotool and imagemagick.

``close_window`` does what a window manager's close button does: it sends the window the
``WM_DELETE_WINDOW`` message of the ICCCM (through libX11, with ctypes), so the application
closes it itself, as when a person clicks the ×.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CLIENT_MESSAGE = 33  # X.h
NO_EVENT_MASK = 0
XEVENT_SIZE = 24 * ctypes.sizeof(ctypes.c_long)  # sizeof(XEvent): a union padded to 24 longs


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_char * XEVENT_SIZE)]


def _libx11() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    lib = ctypes.CDLL(name)
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XInternAtom.restype = ctypes.c_ulong
    lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
    lib.XFlush.argtypes = [ctypes.c_void_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return lib


def close_window(display: str, window: int) -> None:
    """Ask ``window`` to close, as a window manager does (WM_PROTOCOLS / WM_DELETE_WINDOW)."""
    x11 = _libx11()
    connection = x11.XOpenDisplay(display.encode())
    if not connection:
        raise RuntimeError(f"cannot open X display {display}")
    try:
        event = XEvent()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        if not x11.XSendEvent(connection, window, 0, NO_EVENT_MASK, ctypes.byref(event)):
            raise RuntimeError("XSendEvent failed")
        x11.XFlush(connection)
    finally:
        x11.XCloseDisplay(connection)


def _free_display_number() -> int:
    for number in range(90, 190):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :189")


@contextmanager
def xvfb(width: int = 1366, height: int = 900) -> Iterator[str]:
    """A virtual X server (Debian's Xvfb) on a free display; yields its name (":N")."""
    for _ in range(5):  # another test run may take the same number between the check and the start
        number = _free_display_number()
        process = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        socket_path = Path(f"/tmp/.X11-unix/X{number}")
        deadline = time.monotonic() + 20
        while process.poll() is None and not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None and socket_path.exists():
            break
        process.kill()
        process.wait()
    else:
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def windows_of(display: str, pid: int) -> list[int]:
    """The visible windows of process ``pid`` (xdotool search --pid)."""
    result = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line) for line in result.stdout.split()]


def screenshot(display: str, path: Path, window: str = "root") -> None:
    """Save the screen (or one window) as PNG with imagemagick's ``import``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", window, str(path)], env={**os.environ, "DISPLAY": display}, check=True)


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=True, capture_output=True)
