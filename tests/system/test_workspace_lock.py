"""One app per workspace: the lock beside it, its message, and a lock left by a killed app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from evalstudio.services.workspace.lock import WorkspaceLock


def test_a_second_lock_on_the_same_workspace_says_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "new folder" / "workspace.sqlite"  # the folder does not exist yet
    first, second = WorkspaceLock(), WorkspaceLock()
    assert first.take(path) is None and (path.parent / "workspace.sqlite.lock").exists()
    refused = second.take(path)
    assert refused is not None and f"process {os.getpid()}" in refused
    assert first.take(path) is None  # the same workspace opened again: ours already
    first.release()
    assert second.take(path) is None
    second.release()


def test_a_lock_left_by_a_killed_app_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from evalstudio.services.workspace.lock import WorkspaceLock\n"
            f"lock = WorkspaceLock(); assert lock.take(Path({str(path)!r})) is None\n"
            "print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    assert WorkspaceLock().take(path) is not None  # held by a live process
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    taker = WorkspaceLock()
    assert taker.take(path) is None  # its process is gone: the lock is stale
    taker.release()


def test_switching_to_another_workspace_moves_the_lock(tmp_path: Path) -> None:
    lock, other = WorkspaceLock(), WorkspaceLock()
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    assert lock.take(a) is None and lock.take(b) is None
    assert other.take(a) is None  # released when the app moved on to b
    assert other.take(b) is not None
    lock.release()
    other.release()
