"""Rubric answers in session packages: the package asks the study's questions, the answers
come back with their judgments, and a hostile package (SQL in a key, forged ids, wrong JSON
types) is refused or kept apart with the workspace unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.rubric_study import answered, rubric_study
from support.session_study import digest, edit_as_attacker

from evalstudio.core.errors import SessionError
from evalstudio.core.model import Study
from evalstudio.core.review import Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    return rubric_study(workspace, tmp_path)


@pytest.fixture
def bob_judged(workspace: Workspace, study: Study) -> str:
    bob = next(e for e in list_evaluators(workspace) if e.name == "Bob")
    session = ReviewSession(workspace, study, bob)
    item = session.queue[0].item.item_id
    return session.submit(item, Stage.FINAL, answered(1, "formal")).id


@pytest.fixture
def package(workspace: Workspace, study: Study, tmp_path: Path, bob_judged: str) -> Path:
    """Ada's package after she answered the rubric on two items."""
    path = export_package(workspace, study.name, "Ada", tmp_path / "ada.evs").path
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    ada = ReviewSession(opened, found.study, found.evaluator)
    assert [q.key for q in ada.questions] == ["helpful", "tone", "problems", "note"]
    for n, entry in enumerate(ada.queue[:2]):
        ada.submit(entry.item.item_id, Stage.FINAL, answered(4 + n, problems=("unsafe",)))
    opened.close()
    return path


def _answers(workspace: Workspace) -> list[tuple[str, str, object]]:
    return [
        (r["judgment_id"], r["question_key"], json.loads(r["value"]))
        for r in workspace.db.query("SELECT * FROM judgment_answers ORDER BY rowid")
    ]


def test_answers_come_back_with_their_judgments(
    workspace: Workspace, package: Path, bob_judged: str
) -> None:
    summary = merge_file(workspace, package)
    assert summary.tables["judgment_answers"].added == 4  # helpful and problems on two items
    values = sorted((key, value) for j, key, value in _answers(workspace) if j != bob_judged)
    assert values == [
        ("helpful", 4),
        ("helpful", 5),
        ("problems", ["unsafe"]),
        ("problems", ["unsafe"]),
    ]
    again = merge_file(workspace, package)
    assert again.tables["judgment_answers"].unchanged == 4 and again.added == 0


# Each edit makes one of Ada's answers something no evaluator could have given. (JSON that
# does not read cannot be written: the column's CHECK (json_valid) is part of the schema a
# merge compares first.)
REFUSED = {
    "SQL in the question key": (
        "UPDATE judgment_answers SET question_key = 'x''); DROP TABLE judgments; --' "
        "WHERE rowid = (SELECT min(rowid) FROM judgment_answers)",
        "no question 'x'\\); DROP TABLE judgments",
    ),
    "an unknown question": (
        "UPDATE judgment_answers SET question_key = 'secret' "
        "WHERE rowid = (SELECT min(rowid) FROM judgment_answers)",
        "no question 'secret'",
    ),
    "a string for a rating": (
        "UPDATE judgment_answers SET value = '\"5\"' WHERE question_key = 'helpful'",
        "helpful: a rating is a whole number",
    ),
    "a rating off the scale": (
        "UPDATE judgment_answers SET value = '99' WHERE question_key = 'helpful'",
        "helpful: 99 is not between 1 and 5",
    ),
    "an object for options": (
        "UPDATE judgment_answers SET value = '{\"unsafe\": 1}' WHERE question_key = 'problems'",
        "problems: not a list of its options",
    ),
    "an option the study lacks": (
        "UPDATE judgment_answers SET value = '[\"great\"]' WHERE question_key = 'problems'",
        "problems: not a list of its options",
    ),
    "answers on a skip": (
        "UPDATE judgments SET skipped_reason = 'busy', verdict = NULL "
        "WHERE id = (SELECT min(judgment_id) FROM judgment_answers)",
        "on a skip, a first verdict or no judgment",
    ),
    "answers on a first verdict": (
        "UPDATE judgments SET stage = 'first' "
        "WHERE id = (SELECT min(judgment_id) FROM judgment_answers)",
        "on a skip, a first verdict or no judgment",
    ),
    "a draft whose answers are of the wrong type": (
        "INSERT INTO drafts (evaluator_id, study_item_id, stage, form, saved_at) "
        "SELECT package_info.evaluator_id, study_items.id, 'final', '{\"answers\": [1, 2]}', "
        "'2026-12-01T00:00:00+00:00' "
        "FROM study_items, package_info WHERE study_items.id NOT IN "
        "(SELECT study_item_id FROM judgments) LIMIT 1",
        "unreadable form data",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_hostile_answer_refuses_the_file_and_changes_nothing(
    workspace: Workspace, package: Path, case: str
) -> None:
    statement, message = REFUSED[case]
    edit_as_attacker(package, statement)
    before = digest(workspace)
    with pytest.raises(SessionError, match=message):
        merge_file(workspace, package)
    assert digest(workspace) == before
    assert workspace.db.execute("SELECT count(*) FROM judgments").fetchone() == (1,)


def test_an_answer_forged_onto_someone_elses_judgment_is_kept_apart(
    workspace: Workspace, package: Path, bob_judged: str
) -> None:
    """Answers under Bob's judgment id (a valid value, a question the study asks) must not
    land on Bob's judgment: they are a conflict, as a forged flaw is."""
    before = [a for a in _answers(workspace) if a[0] == bob_judged]
    edit_as_attacker(
        package,
        "INSERT INTO judgments (id, study_item_id, evaluator_id, verdict, created_at, condition, "
        f"quality, confidence) SELECT '{bob_judged}', study_item_id, evaluator_id, 'flawed', "
        "created_at, condition, 1, 1 FROM judgments LIMIT 1",
        f"INSERT INTO judgment_answers VALUES ('{bob_judged}', 'problems', '[\"unsafe\"]')",
        f"INSERT INTO judgment_answers VALUES ('{bob_judged}', 'helpful', '5')",
    )
    summary = merge_file(workspace, package)
    assert [a for a in _answers(workspace) if a[0] == bob_judged] == before
    conflicted = {(c.table, c.key) for c in summary.conflicts}
    assert ("judgment_answers", f"{bob_judged} / problems") in conflicted
    assert ("judgment_answers", f"{bob_judged} / helpful") in conflicted
    assert summary.tables["judgment_answers"].added == 4  # Ada's own answers still come back


def test_an_answer_added_to_an_earlier_judgment_is_kept_apart(
    workspace: Workspace, package: Path
) -> None:
    merge_file(workspace, package)
    edit_as_attacker(
        package,
        "INSERT INTO judgment_answers SELECT judgment_id, 'tone', '\"casual\"' "
        "FROM judgment_answers LIMIT 1",
    )
    before = _answers(workspace)
    summary = merge_file(workspace, package)
    assert summary.tables["judgment_answers"].conflicts == 1
    assert _answers(workspace) == before
