"""The one place that opens the workspace database: checks, migrations, one connection a thread."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlite_utils import Database

from evalstudio.core.errors import StorageError, WorkspaceError
from evalstudio.store.migrations import known_names, migrations
from evalstudio.store.package_info import is_package

BUSY_TIMEOUT_MS = 5000


class _Database(Database):
    """sqlite-utils' Database whose transactions take the write lock as they begin, and whose
    failures to write say what happened.

    A plain BEGIN starts reading; when it then writes while another thread (the model's, the
    data lane's) has committed since its read began, SQLite fails at once with "database is
    locked" — the busy timeout does not apply to that upgrade. BEGIN IMMEDIATE waits for the
    lock up to the busy timeout instead, so a save is delayed, never refused."""

    def __init__(self, conn: sqlite3.Connection, path: Path, read_only: bool = False) -> None:
        super().__init__(conn)
        self.path = path
        self.read_only = read_only
        # sqlite-utils learns these by trying a CREATE TABLE in a transaction the first time
        # an upsert needs them; if that write fails (a full disk) it concludes "unsupported"
        # for good and its fallback upsert then dropped a draft without a word. They depend
        # only on the SQLite library's version, so they are set from it here.
        version = sqlite3.sqlite_version_info
        self._supports_on_conflict = version >= (3, 24, 0)
        self._supports_strict = version >= (3, 37, 0)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: sqlite-utils' savepoint
            with super().atomic():
                yield self
            return
        try:
            # Read-only, a transaction is one snapshot to read: there is no lock to take.
            self.conn.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
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
        except sqlite3.OperationalError as e:
            raise StorageError(_storage_problem(e), where=str(self.path)) from e


def _storage_problem(error: sqlite3.OperationalError) -> str:
    """What a failed write means for the user; the transaction has rolled back."""
    text = str(error).lower()
    if "full" in text:
        return "the disk is full; nothing of this change was written. Free some space"
    if "readonly" in text or "read-only" in text:
        return "the workspace file is read-only. Open a copy you can write to (File › Open)"
    if "locked" in text or "busy" in text:
        return (
            f"another program has held the workspace for over {BUSY_TIMEOUT_MS // 1000} s; "
            "nothing was written. Try again"
        )
    if "i/o" in text:
        return "the disk reported an error; nothing of this change was written"
    return f"the workspace could not be written ({error}); nothing of this change was written"


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
        self.read_only_uri: str | None = None  # opened read-only: the URI to connect with
        self._local = threading.local()

    @classmethod
    def open(
        cls, path: Path, before_migrating: Callable[[Path], object] | None = None
    ) -> Workspace:
        """Open (creating if needed) and migrate the workspace at `path`; `before_migrating`
        is called with the path first when an existing workspace is about to be migrated."""
        path = path.expanduser()
        if path.is_dir():
            raise WorkspaceError("is a folder, not a workspace file", where=str(path))
        if path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise WorkspaceError(
                "is read-only (the file or its folder). EvalStudio saves every change as it is "
                "made, so it cannot work on it there: copy it to a folder you can write to and "
                "open the copy",
                where=str(path),
            )
        applied = _refuse_newer_schema(path)
        if applied and before_migrating is not None and set(applied) != known_names():
            before_migrating(path)
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

    @classmethod
    def open_read_only(cls, path: Path) -> Workspace:
        """Open the existing workspace at `path` to read it, writing nothing: not a byte of it,
        nor a file beside it where the folder refuses one (read-only media). A workspace
        that would need migrating is refused: that is a write."""
        path = path.expanduser()
        if path.is_dir():
            raise WorkspaceError("is a folder, not a workspace file", where=str(path))
        applied = _refuse_newer_schema(path)
        if set(applied) != known_names():
            raise WorkspaceError(
                "was made by an older EvalStudio and needs upgrading, which a command that "
                "only reads does not do: open it in the app once (it is backed up first), or "
                "a copy of it if it is on read-only media",
                where=str(path),
            )
        workspace = cls(path)
        workspace.read_only_uri = _read_only_uri(path)
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
            if self.read_only_uri is not None:
                conn = sqlite3.connect(self.read_only_uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                db = _Database(conn, self.path, read_only=True)
            else:
                db = _Database(_connect(self.path, self.single_file), self.path)
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


def _read_only_uri(path: Path) -> str:
    """The URI that reads `path` without writing. Reading a WAL database needs its -shm file,
    which SQLite makes beside it; in a folder that cannot take one (read-only media) the file
    is read as immutable, which is what it is there, once no commit waits in its -wal file."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return uri
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # also damaged schema text
        if "unable to open" not in str(e):
            return uri  # not a database, damaged: reading it says so
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise WorkspaceError(
                "has commits in its -wal file that cannot be read in a folder that cannot be "
                "written to: copy the folder to one you can write to and open the copy",
                where=str(path),
            ) from e
    return f"{uri}&immutable=1"


def _refuse_newer_schema(path: Path) -> list[str]:
    """Refuse, without writing a byte, a file that is not ours or that a newer version wrote;
    the names of the migrations it has applied (none for a new file)."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as e:
        raise WorkspaceError(f"cannot be read: {e}", where=str(path)) from e
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "_sqlite_migrations" not in tables:
            raise WorkspaceError(
                "is an SQLite file but not an EvalStudio workspace", where=str(path)
            )
        if not tables:
            return []
        applied = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [migrations.name]
            )
        ]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # also damaged text of the schema
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
    return applied
