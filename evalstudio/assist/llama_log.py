"""llama.cpp's own log lines go to Python's logging (logger `evalstudio.llama_cpp`, level
DEBUG), never to the terminal.

llama-cpp-python installs a log callback that prints llama.cpp's errors to stderr even with
`verbose=False`, and llama.cpp reports a stopped request as one ("decode: removing memory
module entries for seq_id = 0, ..."): a line per Stop in the user's terminal, about nothing
they did wrong. What fails for real reaches the user as an exception (local_llama.py), not
through this log.
"""

from __future__ import annotations

import ctypes
import logging

import llama_cpp

log = logging.getLogger("evalstudio.llama_cpp")


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _to_logging(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    log.debug("%s", text.decode("utf-8", "replace").rstrip("\n"))


_installed: list[object] = []  # llama.cpp keeps a raw pointer: the callback must stay alive


def route_llama_log() -> None:
    """Send llama.cpp's (and ggml's) log to `log` from now on, for the whole process."""
    if not _installed:
        llama_cpp.llama_log_set(_to_logging, ctypes.c_void_p(0))
        _installed.append(_to_logging)
