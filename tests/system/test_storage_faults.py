"""The workspace cannot be written: the disk is full, another program holds the database, the
file is read-only. Each write that fails says so in plain words and writes nothing of itself;
what was saved before stays; once the cause is gone the next write works."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from support.windows import open_main_window, start_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.errors import StorageError, WorkspaceError
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.ui.jobs import Lane


@pytest.fixture
def session(workspace: Workspace) -> ReviewSession:
    study = studies.ensure_demo_study(workspace)
    return ReviewSession(workspace, study, evaluators.add_evaluator(workspace, "Ada"))


def _judge(session: ReviewSession, n: int, rationale: str = "fine") -> str:
    item = session.queue[n].item.item_id
    session.submit(item, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 4, 3, rationale=rationale))
    return item


def test_a_full_disk_refuses_the_write_keeps_what_was_saved_and_recovers(
    workspace: Workspace, session: ReviewSession
) -> None:
    kept = _judge(session, 0)
    db = workspace.db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own way to say: no more room
    with pytest.raises(StorageError, match="the disk is full; nothing of this change was"):
        _judge(session, 1, rationale="x" * 200_000)
    assert session.state(session.queue[1].item.item_id).item.final is None  # nothing half
    assert session.state(kept).item.final is not None
    # A draft too (sqlite-utils' upsert used to drop it without a word on a full disk).
    with pytest.raises(StorageError, match="disk is full"):
        session.save_draft(kept, Stage.FINAL, JudgmentForm(rationale="y" * 1_000_000))
    db.execute("PRAGMA max_page_count = 1073741823")  # space freed
    assert session.state(_judge(session, 1)).item.final is not None
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
    """
)


def test_a_workspace_held_by_another_program_is_said_and_the_next_try_works(
    workspace: Workspace, session: ReviewSession
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace.path), "7"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    try:
        with pytest.raises(StorageError, match="another program has held the workspace for"):
            _judge(session, 0)
    finally:
        holder.wait(timeout=30)
    assert session.state(_judge(session, 0)).item.final is not None  # released: saved


@pytest.fixture
def read_only(workspace_path: Path, workspace: Workspace) -> Iterator[Path]:
    """The workspace file and its folder made read-only after the demo study and a judgment
    were saved: by permissions, or for root (whom permissions do not stop) by chattr +i, as on
    a write-protected stick."""
    session = ReviewSession(
        workspace,
        studies.ensure_demo_study(workspace),
        evaluators.add_evaluator(workspace, "Ada"),
    )
    _judge(session, 0)
    workspace.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    workspace.close()
    for leftover in workspace_path.parent.glob(workspace_path.name + "-*"):
        leftover.unlink()
    targets = [str(workspace_path), str(workspace_path.parent)]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *targets], check=True)
    else:
        workspace_path.chmod(0o444)
        workspace_path.parent.chmod(0o555)
    yield workspace_path
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", *targets], check=True)
    else:
        workspace_path.parent.chmod(0o755)
        workspace_path.chmod(0o644)


def test_a_read_only_workspace_is_refused_in_words_and_left_as_it_was(read_only: Path) -> None:
    before = read_only.read_bytes()
    with pytest.raises(WorkspaceError, match=r"is read-only .* copy it to a folder you can write"):
        open_workspace(read_only)
    assert read_only.read_bytes() == before


def test_the_review_window_keeps_the_typing_when_a_draft_cannot_be_saved(
    qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama
) -> None:
    """Disk full while typing: the status bar says so (no dialog at every keystroke), the
    text stays in the form, and it is saved once there is room again."""
    study = studies.ensure_demo_study(workspace)
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, local_backend) as window:
        review = start_review(qtbot, window, study, ada)
        item = review.entry.item.item_id

        def limit(pages: str) -> None:  # on the data lane's own connection, where drafts are saved
            window.jobs.run(
                Lane.DATA, lambda: workspace.db.execute(f"PRAGMA max_page_count = {pages}")
            )

        limit("1")  # no room to grow (SQLite keeps the limit at the file's current size)
        qtbot.waitUntil(lambda: window.jobs.idle)
        review.form.rationale.setPlainText("z" * 300_000)
        qtbot.waitUntil(
            lambda: "Draft not saved yet" in window.statusBar().currentMessage(), timeout=10_000
        )
        assert review.form.rationale.toPlainText() == "z" * 300_000  # nothing lost on screen
        limit("1073741823")  # room again: the retry saves it
        session = ReviewSession(workspace, study, ada)
        qtbot.waitUntil(
            lambda: (
                (d := session.state(item).item.draft) is not None and len(d.rationale) == 300_000
            ),
            timeout=15_000,
        )
