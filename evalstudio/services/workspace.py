"""Which workspace to open (--db, $EVALSTUDIO_DB, the user data dir), and opening it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from evalstudio.services.backups import take_backup
from evalstudio.services.paths import data_dir
from evalstudio.store.connection import Workspace

__all__ = ["Workspace", "default_workspace_path", "now", "open_workspace", "resolve_workspace_path"]

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
    migrated is backed up first."""
    return Workspace.open(
        resolve_workspace_path(explicit), lambda path: take_backup(path, "before-migration")
    )


def now() -> str:
    """The timestamp every row carries: UTC, ISO 8601, microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
