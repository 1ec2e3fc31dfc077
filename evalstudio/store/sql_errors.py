"""SQLite's errors while a session file is written or merged, as the one error users see."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from evalstudio.core.errors import SessionError


@contextmanager
def as_session_error(where: str, doing: str) -> Iterator[None]:
    """Turn an SQLite error inside the block into a SessionError on `where` saying what was
    being done (the transaction it broke has rolled back)."""
    try:
        yield
    except sqlite3.Error as e:
        raise SessionError(f"{doing} failed, nothing was written: {e}", where=where) from e
