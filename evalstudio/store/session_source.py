"""A file given to merge, checked before any of its rows is read: an intact SQLite database,
EvalStudio's schema at a version this one knows, and references that all resolve.

Run on a private copy of the file (io/session_files.py): opening a damaged or hand-edited
file must not touch the original either.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from evalstudio.core.errors import SessionError
from evalstudio.store.migrations import known_names, migrations

_PROBLEMS_SHOWN = 3


def check_intact(copy: Path, where: str) -> None:
    """Refuse a damaged file, a database that is not ours, or one a newer version wrote."""
    try:
        conn = sqlite3.connect(copy)
        try:
            problems = [r[0] for r in conn.execute(f"PRAGMA integrity_check({_PROBLEMS_SHOWN})")]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            applied = []
            if "_sqlite_migrations" in tables:
                applied = [
                    r[0]
                    for r in conn.execute(
                        "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                        [migrations.name],
                    )
                ]
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # text of the schema, damaged
        raise SessionError(
            f"is damaged (truncated or corrupted: {e}); ask for the file again", where=where
        ) from e
    if problems != ["ok"]:
        found = " ".join("; ".join(problems).replace("*** in database main ***", "").split())
        raise SessionError(
            f"is damaged (truncated, corrupted or edited by hand: {found})", where=where
        )
    if "_sqlite_migrations" not in tables:
        raise SessionError(
            "is an SQLite database but not an EvalStudio session package or workspace",
            where=where,
        )
    unknown = [name for name in applied if name not in known_names()]
    if unknown:
        raise SessionError(
            f"was written by a newer EvalStudio (schema step {unknown[-1]} is unknown to this "
            "version); upgrade EvalStudio to merge it",
            where=where,
        )


def dangling_references(db: Database) -> list[str]:
    """Rows whose reference points at a row the file does not have (SQLite enforces these on
    every write the app makes; a file edited by hand need not keep them)."""
    rows = db.execute("PRAGMA foreign_key_check").fetchall()
    return [
        f"a row of {table} (rowid {rowid}) refers to a missing {parent} row"
        for table, rowid, parent, _ in rows
    ]


def holds_package(path: Path) -> bool:
    """Whether the database at `path` is a session package, read without writing a byte;
    False for a file that cannot be read as one."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM package_info LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return False
