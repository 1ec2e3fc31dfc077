"""Copies of a workspace file through SQLite's online backup API: a consistent snapshot while
the app keeps writing (WAL included), never a half-copied file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evalstudio.core.errors import EvalStudioError


def copy_database(source: Path, target: Path) -> None:
    """Write a consistent copy of the database `source` into `target` (replaced whole: the
    backup API rewrites every page under SQLite's own locks)."""
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as e:
        raise EvalStudioError(f"cannot be copied to {target}: {e}", where=str(source)) from e
