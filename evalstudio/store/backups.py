"""Copies of a workspace file through SQLite's online backup API: a consistent snapshot while
the app keeps writing (WAL included), never a half-copied file; and the check that a workspace
or a backup is intact before it is copied or restored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evalstudio.core.errors import EvalStudioError

_PROBLEMS_SHOWN = 3


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


def problems(path: Path) -> list[str]:
    """What SQLite's quick check finds wrong with the database `path` (its pages, b-trees and
    records, not its indexes' content: linear in its size); empty when it is intact."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = [r[0] for r in conn.execute(f"PRAGMA quick_check({_PROBLEMS_SHOWN})")]
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        return [str(e)]
    if found == ["ok"]:
        return []
    return [" ".join(p.replace("*** in database main ***", "").split()) for p in found]
