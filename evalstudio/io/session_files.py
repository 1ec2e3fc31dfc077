"""Session package files on disk: a package is written next to its final name and moved there
in one step; a file to merge is copied aside first, so neither checking nor migrating it can
change what the evaluator sent."""

from __future__ import annotations

import shutil
from pathlib import Path

from evalstudio.core.errors import SessionError

SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite's sidecar files: a WAL holds commits not yet in the file, a hot journal the undo of
# an interrupted write. Either belongs to the database and is copied with it.
_SIDECARS = ("-wal", "-journal")


def copy_for_merge(path: Path, folder: Path) -> Path:
    """Copy the file (and its sidecars) into `folder`; refuse what is not an SQLite file."""
    where = str(path)
    if not path.exists():
        raise SessionError("no such file", where=where)
    if not path.is_file():
        raise SessionError("is not a file", where=where)
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            raise SessionError(
                "is not a session package or workspace (not an SQLite database)", where=where
            )
        copy = folder / "source.sqlite"
        shutil.copyfile(path, copy)
        for suffix in _SIDECARS:
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                shutil.copyfile(sidecar, copy.with_name(copy.name + suffix))
    except OSError as e:
        raise SessionError(f"cannot be read: {e.strerror}", where=where) from e
    return copy


def staging_path(out: Path) -> Path:
    """Where a package is written before it takes its name (same folder: the move is atomic)."""
    return out.with_name(f".{out.name}.partial")


def discard(staged: Path) -> None:
    """Remove a package that was not finished, with whatever SQLite left beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        staged.with_name(staged.name + suffix).unlink(missing_ok=True)


def place(staged: Path, out: Path) -> None:
    """Give the written package its name; refuse to replace a file (it may hold work)."""
    if out.exists():
        discard(staged)
        raise SessionError("exists already; choose another name", where=str(out))
    try:
        staged.replace(out)
    except OSError as e:
        discard(staged)
        raise SessionError(f"cannot be written: {e.strerror}", where=str(out)) from e


def check_target(out: Path) -> None:
    """Refuse before any work: the package must be a new file in an existing folder."""
    if out.exists():
        raise SessionError(
            "exists already; choose another name (a package may hold an evaluator's work)",
            where=str(out),
        )
    if not out.parent.is_dir():
        raise SessionError("its folder does not exist", where=str(out))
