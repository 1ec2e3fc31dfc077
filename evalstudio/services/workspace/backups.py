"""Automatic backups of a workspace: when the app opens it and every 30 minutes of use, before
a merge, a migration or a restore; thinned by core/backup_policy.py. They live in the user's
data folder (one folder per workspace), never beside the workspace, so a lost or broken disk
folder of workspaces does not take its backups with it — and restoring one first backs up
what it replaces, so a restore loses nothing either.

A damaged workspace is not backed up (its backups keep what it held while it was intact), and
a damaged backup is not restored: both are checked first (store/backups.py `problems`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evalstudio.core.backup_policy import to_keep
from evalstudio.core.errors import EvalStudioError
from evalstudio.services.workspace.paths import data_dir
from evalstudio.store.backups import copy_database, problems

PERIOD_MINUTES = 30
_NAME = re.compile(r"^(\d{8}T\d{6}\d{6}Z)-([a-z-]+)\.sqlite$")
_STAMP = "%Y%m%dT%H%M%S%fZ"
# What a restore replaced when the workspace was damaged: kept, never taken as good.
DAMAGED = "damaged-before-restore"


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
    reason: str  # open, periodic, manual, before-merge, before-migration, before-restore,
    # damaged-before-restore
    size: int

    def when(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M:%S} UTC"


def backups_dir(workspace: Path) -> Path:
    """The folder of `workspace`'s backups: named after the file and a digest of its full path,
    so two workspaces of the same name keep apart."""
    digest = hashlib.sha256(str(workspace.resolve()).encode()).hexdigest()[:10]
    return data_dir() / "backups" / f"{workspace.stem}-{digest}"


def take_backup(workspace: Path, reason: str) -> Backup | None:
    """Back `workspace` up now, then thin its backups; None if there is nothing to back up.
    A damaged workspace is refused: backing it up would crowd out the good backups."""
    if not workspace.exists() or workspace.stat().st_size == 0:
        return None
    found = problems(workspace)
    if found:
        good, _ = newest_good(list_backups(workspace))
        kept = (
            f"the newest good backup is {good.path.name} ({good.when()}), which "
            "`evalstudio backup restore --latest` or File › Restore from a backup… brings back"
            if good is not None
            else "it has no good backup"
        )
        raise EvalStudioError(
            f"is damaged ({'; '.join(found)}), so it was not backed up: its backups keep "
            f"what it held before; {kept}",
            where=str(workspace),
        )
    taken = _copy(workspace, reason)
    _thin(workspace, taken.taken_at, taken.taken_at)
    return taken


def _copy(workspace: Path, reason: str) -> Backup:
    folder = backups_dir(workspace)
    taken = datetime.now(UTC)
    target = folder / f"{taken.strftime(_STAMP)}-{reason}.sqlite"
    partial = target.with_suffix(".partial")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        copy_database(workspace, partial)
        partial.replace(target)  # a backup is listed only once whole
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise EvalStudioError(
            f"cannot back up into {folder}: {e.strerror}", where=str(workspace)
        ) from e
    return Backup(target, taken, reason, target.stat().st_size)


def list_backups(workspace: Path) -> list[Backup]:
    """The workspace's backups, newest first."""
    folder = backups_dir(workspace)
    found = []
    for path in folder.glob("*.sqlite") if folder.is_dir() else ():
        match = _NAME.match(path.name)
        if match:
            taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append(Backup(path, taken, match.group(2), path.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def newest_good(backups: list[Backup]) -> tuple[Backup | None, list[Backup]]:
    """The newest intact backup of `backups` (newest first), and the damaged ones newer than
    it; only those are checked, so usually just the newest."""
    damaged: list[Backup] = []
    for backup in backups:
        if backup.reason != DAMAGED and not problems(backup.path):
            return backup, damaged
        damaged.append(backup)
    return None, damaged


def restore_backup(workspace: Path, backup: Backup) -> Backup | None:
    """Replace the workspace's content with `backup` (the workspace must not be open), after
    backing up what it replaces — a damaged workspace too, as `damaged-before-restore`;
    returns that backup of the replaced content. A damaged backup is refused."""
    if not backup.path.is_file():
        raise EvalStudioError("this backup is gone", where=str(backup.path))
    found = problems(backup.path)
    if found:
        good, _ = newest_good(list_backups(workspace))
        other = f"; the newest good one is {good.path.name} ({good.when()})" if good else ""
        raise EvalStudioError(
            f"is damaged ({'; '.join(found)}), so it was not restored{other}",
            where=str(backup.path),
        )
    if workspace.exists() and workspace.stat().st_size and problems(workspace):
        before: Backup | None = _copy(workspace, DAMAGED)
        good, _ = newest_good(list_backups(workspace))
        _thin(workspace, datetime.now(UTC), good.taken_at if good else None)
    else:
        before = take_backup(workspace, "before-restore")
    try:
        copy_database(backup.path, workspace)
    except (OSError, Exception) as e:
        raise EvalStudioError(
            f"cannot restore {backup.path.name}: {e}", where=str(workspace)
        ) from e
    return before


def _thin(workspace: Path, now: datetime, good: datetime | None) -> None:
    backups = list_backups(workspace)
    keep = to_keep((b.taken_at for b in backups), now, good)
    for backup in backups:
        if backup.taken_at not in keep:
            backup.path.unlink(missing_ok=True)
