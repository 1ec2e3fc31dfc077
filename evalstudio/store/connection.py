"""The one place that opens the workspace database: checks, migrations, one connection a thread."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from evalstudio.core.errors import WorkspaceError
from evalstudio.store.migrations import known_names, migrations
from evalstudio.store.package_info import is_package

BUSY_TIMEOUT_MS = 5000


class _Database(Database):
    """sqlite-utils' Database whose transactions take the write lock as they begin.

    A plain BEGIN starts reading; when it then writes while another thread (the model's, the
    data lane's) has committed since its read began, SQLite fails at once with "database is
    locked" — the busy timeout does not apply to that upgrade. BEGIN IMMEDIATE waits for the
    lock up to the busy timeout instead, so a save is delayed, never refused."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: sqlite-utils' savepoint
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()  # a no-op if the error already ended the transaction
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


class Workspace:
    """A workspace file. `db` gives the calling thread its own connection.

    SQLite connections must not cross threads, and `foreign_keys` / `busy_timeout` are
    per-connection settings that SQLite does not keep, so each thread's connection is made
    here and nowhere else.

    A session package is kept in one file (`single_file`): rollback journal instead of WAL,
    so that copying the file alone, as an evaluator sending it back does, copies every
    commit; and synchronous FULL, which that journal needs to survive a power cut.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.single_file = False
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
            migrations.apply(db)
            if is_package(db):
                workspace.use_single_file()
            else:
                db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as e:
            workspace.close()
            raise WorkspaceError(f"cannot be opened as a workspace: {e}", where=str(path)) from e
        return workspace

    def use_single_file(self) -> None:
        """Keep every commit in the file itself (a session package); the calling thread's
        connection must be the only one open."""
        self.single_file = True
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.execute("PRAGMA synchronous=FULL")

    @property
    def db(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = _Database(_connect(self.path, self.single_file))
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


def _connect(path: Path, single_file: bool) -> sqlite3.Connection:
    # check_same_thread stays on: a connection used from another thread is a bug to catch.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # NORMAL is safe with WAL (a crash loses no commit); the rollback journal needs FULL.
    conn.execute(f"PRAGMA synchronous = {'FULL' if single_file else 'NORMAL'}")
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
