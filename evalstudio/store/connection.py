"""The one place that opens the workspace database: checks, migrations, one connection a thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database

from evalstudio.core.errors import WorkspaceError
from evalstudio.store.migrations import known_names, migrations

BUSY_TIMEOUT_MS = 5000


class Workspace:
    """A workspace file. `db` gives the calling thread its own connection.

    SQLite connections must not cross threads, and `foreign_keys` / `busy_timeout` are
    per-connection settings that SQLite does not keep, so each thread's connection is made
    here and nowhere else.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @classmethod
    def open(cls, path: Path) -> Workspace:
        """Open (creating if needed) and migrate the workspace at `path`."""
        path = path.expanduser()
        if path.is_dir():
            raise WorkspaceError("is a folder, not a workspace file", where=str(path))
        _refuse_newer_schema(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise WorkspaceError(f"cannot create its folder: {e.strerror}", where=str(path)) from e
        workspace = cls(path)
        db = workspace.db
        try:
            db.execute("PRAGMA journal_mode=WAL")
            migrations.apply(db)
        except sqlite3.DatabaseError as e:
            workspace.close()
            raise WorkspaceError(f"cannot be opened as a workspace: {e}", where=str(path)) from e
        return workspace

    @property
    def db(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = Database(_connect(self.path))
            self._local.db = db
        return db

    def schema_version(self) -> int:
        """How many migrations this workspace has applied."""
        return len(migrations.applied(self.db))

    def close(self) -> None:
        """Close the calling thread's connection.

        A connection can only be closed by its own thread; a worker thread calls this when its
        job ends, and a thread that exits without it has its connection closed with it.
        """
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _connect(path: Path) -> sqlite3.Connection:
    # check_same_thread stays on: a connection used from another thread is a bug to catch.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no commit
    return conn


def _refuse_newer_schema(path: Path) -> None:
    """Refuse, without writing a byte, a file that is not ours or that a newer version wrote."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise WorkspaceError(f"cannot be read: {e}", where=str(path)) from e
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "_sqlite_migrations" not in tables:
            raise WorkspaceError(
                "is an SQLite file but not an EvalStudio workspace", where=str(path)
            )
        if not tables:
            return
        applied = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [migrations.name]
            )
        ]
    except sqlite3.DatabaseError as e:
        raise WorkspaceError(f"is not an EvalStudio workspace ({e})", where=str(path)) from e
    finally:
        conn.close()
    known = known_names()
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise WorkspaceError(
            f"was written by a newer EvalStudio (schema step {unknown[-1]} is unknown to this "
            "version); upgrade EvalStudio to open it. The file was not changed.",
            where=str(path),
        )
