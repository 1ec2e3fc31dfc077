"""Which workspace to open (--db, $EVALSTUDIO_DB, the user data dir), and opening it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from evalstudio.store.connection import Workspace

__all__ = ["Workspace", "default_workspace_path", "now", "open_workspace", "resolve_workspace_path"]

ENV_VAR = "EVALSTUDIO_DB"


def default_workspace_path() -> Path:
    return Path(platformdirs.user_data_dir("EvalStudio", appauthor=False)) / "workspace.sqlite"


def resolve_workspace_path(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    from_env = os.environ.get(ENV_VAR, "").strip()
    return Path(from_env) if from_env else default_workspace_path()


def open_workspace(explicit: Path | None = None) -> Workspace:
    """Open (and create or migrate) the workspace the user asked for."""
    return Workspace.open(resolve_workspace_path(explicit))


def now() -> str:
    """The timestamp every row carries: UTC, ISO 8601, microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
