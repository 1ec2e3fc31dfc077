"""Which workspace to open (--db, $EVALSTUDIO_DB, the user data dir), and opening it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from evalstudio.core.errors import WorkspaceError
from evalstudio.io.session_files import check_package_size, declared_size, max_package_bytes
from evalstudio.services.workspace.backups import take_backup
from evalstudio.services.workspace.paths import data_dir
from evalstudio.store.connection import Workspace
from evalstudio.store.session_source import holds_package

__all__ = [
    "Workspace",
    "default_workspace_path",
    "now",
    "open_workspace",
    "open_workspace_read_only",
    "refuse_what_is_not_ours",
    "resolve_workspace_path",
]

ENV_VAR = "EVALSTUDIO_DB"


def default_workspace_path() -> Path:
    return data_dir() / "workspace.sqlite"


def resolve_workspace_path(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    from_env = os.environ.get(ENV_VAR, "").strip()
    return Path(from_env) if from_env else default_workspace_path()


def open_workspace(explicit: Path | None = None) -> Workspace:
    """Open (and create or migrate) the workspace the user asked for; a workspace about to be
    migrated is backed up first. Only a new file (or an empty default workspace: a first
    start cut short) is created; any other file must be a workspace or a session package."""
    path = resolve_workspace_path(explicit)
    refuse_what_is_not_ours(path)
    return Workspace.open(path, lambda path: take_backup(path, "before-migration"))


def open_workspace_read_only(explicit: Path | None = None) -> Workspace:
    """Open the workspace for a command that only reads: nothing is written to it, so it may
    be on read-only media; one that does not exist yet is created, as `open_workspace` does."""
    path = resolve_workspace_path(explicit)
    if not path.exists():
        return open_workspace(path)
    refuse_what_is_not_ours(path)
    return Workspace.open_read_only(path)


def refuse_what_is_not_ours(path: Path) -> None:
    """Refuse, from its first bytes and its size, a file that is not an SQLite database, or a
    session package larger than a package may be (io/session_files.py), leaving it as it is."""
    if not path.is_file():
        return  # a new workspace; a folder is refused on opening
    try:
        declared = declared_size(path)
        size = path.stat().st_size
    except OSError as e:
        raise WorkspaceError(f"cannot be read: {e.strerror}", where=str(path)) from e
    if declared is None:
        if size == 0 and path.resolve() == default_workspace_path().resolve():
            return
        problem = "it is empty" if size == 0 else "not an SQLite database"
        raise WorkspaceError(
            f"is not an EvalStudio workspace or session package ({problem}); it was left as it "
            "is. Choose the workspace or package, or a new file name to start a workspace",
            where=str(path),
        )
    if max(size, declared) > max_package_bytes() and holds_package(path):
        check_package_size(path)


def now() -> str:
    """The timestamp every row carries: UTC, ISO 8601, microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
