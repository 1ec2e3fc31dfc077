"""Session package files on disk: a package is written next to its final name and moved there
in one step; a file to merge is copied aside first, so neither checking nor migrating it can
change what the evaluator sent."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from evalstudio.core.errors import SessionError

SQLITE_HEADER = b"SQLite format 3\x00"
# The largest file taken as a package (to merge, or to open as one): far above any real one
# (a study of 500 items with every response pre-generated is a few MB) and far below what a
# copy into the temp folder could fill up. Settable for an unusual study.
MAX_PACKAGE_MB_VAR = "EVALSTUDIO_MAX_PACKAGE_MB"
DEFAULT_MAX_PACKAGE_MB = 1024
_MB = 1 << 20
# SQLite's sidecar files: a WAL holds commits not yet in the file, a hot journal the undo of
# an interrupted write. Either belongs to the database and is copied with it.
_SIDECARS = ("-wal", "-journal")


def copy_for_merge(path: Path, folder: Path) -> Path:
    """Copy the file (and its sidecars) into `folder`; refuse, before copying, what is not an
    SQLite file or is larger than a package may be."""
    where = str(path)
    if not path.exists():
        raise SessionError("no such file", where=where)
    if not path.is_file():
        raise SessionError("is not a file", where=where)
    try:
        check_package_size(path)
        copy = folder / "source.sqlite"
        shutil.copyfile(path, copy)
        for suffix in _SIDECARS:
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                shutil.copyfile(sidecar, copy.with_name(copy.name + suffix))
    except OSError as e:
        raise SessionError(f"cannot be read: {e.strerror}", where=where) from e
    return copy


def max_package_bytes() -> int:
    """The cap on a package's size: $EVALSTUDIO_MAX_PACKAGE_MB, else 1024 MB."""
    text = os.environ.get(MAX_PACKAGE_MB_VAR, "").strip()
    if not text:
        return DEFAULT_MAX_PACKAGE_MB * _MB
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes <= 0:
        raise SessionError(
            "is not a size in MB (a whole number above 0)", where=f"${MAX_PACKAGE_MB_VAR}={text}"
        )
    return megabytes * _MB


def declared_size(path: Path) -> int | None:
    """The size the SQLite header of `path` gives its database (page size x page count), read
    without opening it as a database; None if it is not an SQLite file (or is empty)."""
    with path.open("rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # SQLite trusts the page count only when the change counter matches the one it was
    # written with (bytes 24-27 and 92-95); otherwise it goes by the file's size.
    return page_size * pages if header[24:28] == header[92:96] else 0


def check_package_size(path: Path) -> None:
    """Refuse, from its header and size alone, a file that is not an SQLite database or is
    larger (as a file, or by what its header says it holds) than a package may be."""
    where = str(path)
    declared = declared_size(path)
    if declared is None:
        raise SessionError(
            "is not a session package or workspace (not an SQLite database)", where=where
        )
    cap = max_package_bytes()
    sidecars = [path.with_name(path.name + suffix) for suffix in _SIDECARS]
    size = path.stat().st_size + sum(s.stat().st_size for s in sidecars if s.is_file())
    for what, amount in (("is", size), ("says it holds", declared)):
        if amount > cap:
            raise SessionError(
                f"{what} {amount // _MB} MB, larger than a package may be ({cap // _MB} MB; "
                f"set {MAX_PACKAGE_MB_VAR} to allow more)",
                where=where,
            )


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
