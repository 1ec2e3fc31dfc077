"""One app window per workspace: a lock file beside the workspace. Two apps writing drafts and
moving the resume position of the same evaluator would undo each other's work silently.

QLockFile records the holder's process id: a lock left behind by a killed app is stale and
taken over, so a crash never locks anyone out."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QLockFile


class WorkspaceLock:
    def __init__(self) -> None:
        self._held: QLockFile | None = None
        self._held_path: Path | None = None

    def take(self, workspace: Path) -> str | None:
        """Lock `workspace` for this app, releasing the one held before; None, or why not."""
        if self._held is not None and self._held_path == workspace.resolve():
            return None  # ours already (the same workspace opened again)
        # A first start makes the folder; if it cannot, opening the workspace says why.
        with contextlib.suppress(OSError):
            workspace.parent.mkdir(parents=True, exist_ok=True)
        lock = QLockFile(f"{workspace}.lock")
        lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        if not lock.tryLock(200):
            if lock.error() is not QLockFile.LockError.LockFailedError:
                # A folder we cannot write a lock file in (read-only media): open unlocked; the
                # workspace itself says whether it can be written.
                self._swap(None)
                return None
            pid, host, _ = lock.getLockInfo()  # PySide6: (0, "", "") when unreadable
            holder = f" (process {pid} on {host})" if pid else ""
            return (
                f"{workspace} is open in another EvalStudio window{holder}. Switch to that "
                "window, or close it and try again."
            )
        self._swap(lock)
        self._held_path = workspace.resolve()
        return None

    def release(self) -> None:
        self._swap(None)

    def _swap(self, lock: QLockFile | None) -> None:
        if self._held is not None:
            self._held.unlock()
        self._held, self._held_path = lock, None
