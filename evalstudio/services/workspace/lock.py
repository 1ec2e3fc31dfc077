"""One EvalStudio per workspace file: the app holds a lock on its workspace while it has it
open, and the commands that write take it too. Two apps writing drafts and moving the resume
position of the same evaluator would undo each other's work silently, and a restore would
replace the file under a running app.

The lock is an flock(2) on a file beside the workspace, so the kernel releases it when its
process ends however it ends: a crash never locks anyone out (the file left behind is taken
over; one released in order is removed). It is keyed by the file, not by
the name it was opened under: the lock file sits beside the symlink-resolved path, and a
second lock in the user's data folder is named after the file's device and inode, which a
hard link elsewhere shares."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from evalstudio.services.workspace.paths import data_dir

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl


class WorkspaceLock:
    def __init__(self, holder: str = "window") -> None:
        """`holder` names what holds it, in the message of whoever is refused."""
        self.holder = holder
        self._taken: list[tuple[Path, int]] = []  # each lock file and its descriptor
        self._held: set[object] = set()  # the resolved path and (device, inode) held

    def take(self, workspace: Path) -> str | None:
        """Lock `workspace` for this process, releasing the one held before; None, or why
        not."""
        path = workspace.expanduser().resolve()
        # A first start makes the folder; if it cannot, opening the workspace says why.
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
        files = [path.with_name(f"{path.name}.lock")]
        keys: set[object] = {path}
        with contextlib.suppress(OSError):  # a new workspace has no inode yet
            st = path.stat()
            files.append(data_dir() / "locks" / f"{st.st_dev}-{st.st_ino}.lock")
            keys.add((st.st_dev, st.st_ino))
        if keys & self._held:
            return None  # ours already (the same workspace opened again)
        taken: list[tuple[Path, int]] = []
        for file in files:
            got = _acquire(file)
            if isinstance(got, str):
                _unlock_all(taken)
                return (
                    f"{workspace} is open in another EvalStudio {got}. Switch to it, or close "
                    "it and try again."
                )
            if got is not None:
                taken.append((file, got))
                with contextlib.suppress(OSError):
                    os.ftruncate(got, 0)
                    os.lseek(got, 0, os.SEEK_SET)
                    os.write(got, f" {os.getpid()}\n{self.holder}\n".encode())
        self.release()
        self._taken, self._held = taken, keys
        return None

    def release(self) -> None:
        _unlock_all(self._taken)
        self._taken, self._held = [], set()

    def __del__(self) -> None:  # as a process's end would: a dropped lock is no lock
        self.release()


def _acquire(file: Path) -> int | str | None:
    """The locked descriptor of `file`; or who holds it; or None when no lock file can be
    made there (read-only media: the workspace itself says whether it can be written)."""
    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return None
        if not _lock(fd):
            holder = _holder(fd)
            os.close(fd)
            return holder
        try:
            if os.fstat(fd).st_ino == file.stat().st_ino:
                return fd
        except OSError:
            pass
        os.close(fd)  # its holder removed it as we opened it: lock the one there now


def _lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":  # the first byte, which the holder's text leaves blank
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(fd: int) -> str:
    """What the lock file says of its holder: 'window (process 123)'."""
    try:
        os.lseek(fd, 1, os.SEEK_SET)
        pid, kind = (os.read(fd, 200).decode() + "\n\n").split("\n")[:2]
    except (OSError, UnicodeDecodeError):
        pid, kind = "", ""
    return (kind.strip() or "window") + (f" (process {pid.strip()})" if pid.strip() else "")


def _unlock_all(taken: list[tuple[Path, int]]) -> None:
    for file, fd in taken:
        with contextlib.suppress(OSError):  # removed before it is unlocked: see _acquire
            file.unlink()
        os.close(fd)  # releases the lock
