"""Checks made before Qt starts, so a missing screen or library is a message, not a Qt abort."""

from __future__ import annotations

import ctypes.util
import locale
import os
import shlex
import sys
from pathlib import Path

# Libraries Qt's xcb platform plugin loads, with the Debian package that provides each.
_XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "EGL": "libegl1",
    "fontconfig": "libfontconfig1",
}
_HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc"}


def display_problem() -> str | None:
    """Why Qt could not open a window here, with what to do about it; None if it can."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform in _HEADLESS_PLATFORMS:
        return None
    if platform.startswith("wayland") or (not platform and os.environ.get("WAYLAND_DISPLAY")):
        return None
    if not os.environ.get("DISPLAY"):
        command = _command()
        return (
            "No display: DISPLAY is not set, so no window can open here (over SSH: ssh -X, or "
            "run it on the computer's own screen).\n"
            f"Run it under a virtual screen:  xvfb-run -a {command}   "
            "(Debian, Ubuntu: sudo apt-get install xvfb)\n"
            f"Check the install without a window:  {command} --self-test\n"
            f"The command line needs no window:  {command} --help"
        )
    missing = [pkg for lib, pkg in _XCB_LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    if missing:
        return (
            "Qt's X11 support needs libraries this system lacks.\n"
            f"Install them:  apt-get install {' '.join(missing)}"
        )
    return None


def _command() -> str:
    """How the user started the app, to repeat in advice: the binary's own path as typed (it
    has no `make`), else `evalstudio`."""
    typed = sys.argv[0] if sys.argv else ""
    return shlex.quote(typed) if Path(typed).name == "evalstudio" else "evalstudio"


def ensure_utf8_locale() -> None:
    """Qt warns and mangles file names under the C locale; use C.UTF-8 there instead."""
    current = locale.setlocale(locale.LC_CTYPE, None)
    if current in ("C", "POSIX"):
        os.environ["LC_ALL"] = "C.UTF-8"
        locale.setlocale(locale.LC_ALL, "C.UTF-8")
