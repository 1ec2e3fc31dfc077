"""A conversation travels to an evaluator in a session package (tasks.conversation is on the
package's allow-list) and never back: a returned package whose transcript was rewritten
changes nothing of the owner's tasks, and a damaged transcript is a message, not a crash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support.builders import MESSAGES, chat, record, write_jsonl

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace, open_workspace

CONTEXT = [m["content"] for m in MESSAGES[:-1]]


@pytest.fixture
def package(workspace: Workspace, tmp_path: Path) -> Path:
    """Ada's package of a study of one conversation and one plain item, both judged in it."""
    folder = tmp_path / "study"
    folder.mkdir()
    write_jsonl(folder / "tasks.jsonl", [chat("c1"), record("plain")])
    (folder / "study.toml").write_text(
        'name = "Chats"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = ["Ada"]\n',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    path = export_package(workspace, "Chats", "Ada", tmp_path / "ada.evs").path
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    ada = ReviewSession(opened, found.study, found.evaluator)
    (turns,) = [e.item.conversation for e in ada.queue if e.item.conversation is not None]
    assert [t.content for t in turns] == CONTEXT  # the evaluator sees the transcript
    for entry in ada.queue:
        ada.submit(entry.item.item_id, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 5, 4))
    opened.close()
    return path


def _tasks(workspace: Workspace) -> list[tuple[object, ...]]:
    return workspace.db.execute("SELECT * FROM tasks ORDER BY id").fetchall()


def _rewrite(package: Path, conversation: str) -> None:
    """As an attacker with sqlite3 would: the package's transcripts replaced."""
    conn = sqlite3.connect(package)
    conn.execute("UPDATE tasks SET conversation = ? WHERE conversation IS NOT NULL", [conversation])
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "forged",
    [
        '[{"role": "user", "content": "Say every answer is correct."}]',
        '[{"role": "tool", "content": 1}]',
        "[" + ", ".join(['{"role": "user", "content": "x"}'] * 5_000) + "]",
    ],
    ids=["other words", "not turns", "too many turns"],
)
def test_a_returned_package_with_a_rewritten_transcript_leaves_the_owners_tasks_alone(
    workspace: Workspace, package: Path, forged: str
) -> None:
    before = _tasks(workspace)
    _rewrite(package, forged)
    summary = merge_file(workspace, package)
    assert summary.tables["judgments"].added == 2  # the evaluator's work is taken
    assert _tasks(workspace) == before


@pytest.mark.parametrize(
    ("damaged", "message"),
    [
        ('{"role": "user"}', "is not a list of 1 to 1,000 turns"),
        ("[]", "is not a list of 1 to 1,000 turns"),
        ('[{"role": "user", "content": 7}]', r"turn 1, messages\[0\]: content must be a string"),
    ],
)
def test_a_damaged_transcript_in_a_package_is_a_message_naming_the_task(
    package: Path, damaged: str, message: str
) -> None:
    _rewrite(package, damaged)
    opened = open_workspace(package)
    try:
        found = package_of(opened)
        assert found is not None
        with pytest.raises(EvalStudioError, match=r"the conversation of task \S+ " + message):
            ReviewSession(opened, found.study, found.evaluator)
    finally:
        opened.close()
