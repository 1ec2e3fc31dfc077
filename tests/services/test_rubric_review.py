"""Rubric answers through the review session: stored with their judgment, revised, undone,
kept in drafts, refused when a required question is blank or a value is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.rubric_study import answered, rubric_study

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Study
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies.setup import check_study_file, overview_text
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    return rubric_study(workspace, tmp_path)


def _session(workspace: Workspace, study: Study, name: str = "Ada") -> ReviewSession:
    person = next(e for e in list_evaluators(workspace) if e.name == name)
    return ReviewSession(workspace, study, person)


def test_answers_are_stored_with_the_judgment_and_read_back(
    workspace: Workspace, study: Study
) -> None:
    session = _session(workspace, study)
    assert [q.key for q in session.questions] == ["helpful", "tone", "problems", "note"]
    item = session.queue[0].item.item_id
    form = answered(4, "casual", ("unsafe", "hallucinates"), "fine")
    session.submit(item, Stage.FINAL, form)
    stored = _session(workspace, study).state(item).item.final
    assert stored is not None
    assert stored.form.answers == (
        RubricAnswer("helpful", 4),
        RubricAnswer("tone", "casual"),
        RubricAnswer("problems", ("hallucinates", "unsafe")),  # in the question's order
        RubricAnswer("note", "fine"),
    )


def test_a_blank_required_question_blocks_submit_and_names_it(
    workspace: Workspace, study: Study
) -> None:
    session = _session(workspace, study)
    item = session.queue[0].item.item_id
    with pytest.raises(EvalStudioError, match="answer “How helpful is the answer\\?”"):
        session.submit(item, Stage.FINAL, answered(None, "formal"))
    with pytest.raises(EvalStudioError, match="helpful: 9 is not between 1 and 5"):
        session.submit(item, Stage.FINAL, answered(9))
    assert workspace.db["judgments"].count == 0 and workspace.db["judgment_answers"].count == 0


def test_a_revision_has_its_own_answers_and_undo_returns_them_as_the_draft(
    workspace: Workspace, study: Study
) -> None:
    session = _session(workspace, study)
    item = session.queue[0].item.item_id
    first = session.submit(item, Stage.FINAL, answered(2, "formal"))
    second = session.submit(item, Stage.FINAL, answered(5, problems=("unsafe",)))
    assert second.supersedes_id == first.id
    final = session.state(item).item.final
    assert final is not None and final.form.answer("helpful") == RubricAnswer("helpful", 5)
    assert final.form.answer("tone") is None
    session.undo_last()
    state = session.state(item)
    assert state.item.draft is not None and state.item.draft.answers == second.form.answers
    current = state.item.final
    assert current is not None and current.id == first.id  # the older version is current again
    assert current.form.answer("tone") == RubricAnswer("tone", "formal")


def test_a_draft_keeps_answers_and_append_only_rows_refuse_edits(
    workspace: Workspace, study: Study
) -> None:
    session = _session(workspace, study)
    item = session.queue[0].item.item_id
    draft = JudgmentForm(answers=(RubricAnswer("note", "half"), RubricAnswer("helpful", 3)))
    session.save_draft(item, Stage.FINAL, draft)
    assert _session(workspace, study).state(item).item.draft == draft
    session.submit(item, Stage.FINAL, answered(3))
    with pytest.raises(Exception, match="append-only"):
        workspace.db.execute("UPDATE judgment_answers SET value = '1'")
    with pytest.raises(Exception, match="append-only"):
        workspace.db.execute("DELETE FROM judgment_answers")


def test_validate_names_the_questions(workspace: Workspace, study: Study, tmp_path: Path) -> None:
    found = overview_text(check_study_file(workspace, _renamed(tmp_path)))
    assert "Rubric: 4 questions: helpful (likert, required), tone (choice), " in found


def _renamed(folder: Path) -> Path:
    """The fixture's study file under another name (the first is in the workspace now)."""
    path = folder / "study.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"Rubric"', '"Rubric 2"'))
    return path
