"""The review session: judgments as immutable versions, undo, drafts, reveal, marks, resume."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Evaluator, LineRange, Severity, Study, Verdict
from evalstudio.core.review import (
    Condition,
    FlawSource,
    JudgmentForm,
    PointMark,
    ReportedFlaw,
    Stage,
)
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assignments, assist_log
from evalstudio.store import studies as study_rows

FLAW = ReportedFlaw(Severity.MAJOR, "off by one", lines=LineRange(3, 4))
FORM = JudgmentForm(Verdict.FLAWED, quality=3, confidence=4, flaws=(FLAW,), rationale="why")


@pytest.fixture
def ada(workspace: Workspace) -> Evaluator:
    return evaluators.add_evaluator(workspace, "Ada")


def _first_item(session: ReviewSession) -> str:
    return session.queue[0].item.item_id


def test_a_submitted_judgment_is_stored_whole_and_marks_the_item_done(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    item = _first_item(session)
    judgment = session.submit(item, Stage.FINAL, FORM)
    assert item in session.done
    stored = ReviewSession(workspace, demo_study, ada).state(item).item.final
    assert stored is not None and stored.form == FORM and stored.id == judgment.id
    assert stored.condition is Condition.ASSISTED
    # A fresh session (a restarted app) agrees on what is done.
    assert item in ReviewSession(workspace, demo_study, ada).done


def test_an_incomplete_form_is_refused_with_everything_missing_and_nothing_written(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    bad_flaw = ReportedFlaw(Severity.MINOR, "  ")
    with pytest.raises(EvalStudioError) as info:
        session.submit(_first_item(session), Stage.FINAL, JudgmentForm(flaws=(bad_flaw,)))
    message = str(info.value)
    for missing in ("verdict", "confidence", "quality", "flaw 1 needs a description"):
        assert missing in message
    assert workspace.db["judgments"].count == 0


def test_an_edit_appends_a_version_that_supersedes_and_rows_cannot_be_changed(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    item = _first_item(session)
    first = session.submit(item, Stage.FINAL, FORM)
    second = session.submit(item, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 6, 2))
    assert second.supersedes_id == first.id
    assert session.state(item).item.final == second
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        workspace.db.execute("UPDATE judgments SET verdict = 'flawed'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        workspace.db.execute("DELETE FROM judgment_flaws")


def test_undo_retracts_the_last_submit_reopens_the_item_and_restores_its_form(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    a, b = session.queue[0].item.item_id, session.queue[1].item.item_id
    retracted = session.submit(a, Stage.FINAL, FORM)
    session.skip(b, "cannot read Rust", active_ms=1200)
    undone = session.undo_last()
    assert undone is not None and undone.study_item_id == b and b not in session.done
    undone = session.undo_last()
    assert undone is not None and undone.study_item_id == a and a not in session.done
    state = session.state(a)
    assert state.item.final is None and state.item.draft == FORM
    assert session.undo_last() is None
    # Both judgments are still there: the undo is a row, not a deletion.
    assert workspace.db["judgments"].count == 2
    assert workspace.db["judgment_retractions"].count == 2
    again = session.submit(a, Stage.FINAL, FORM)
    assert again.supersedes_id == retracted.id


def test_drafts_survive_a_new_session_and_a_submit_clears_them(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    item = _first_item(session)
    session.save_draft(item, Stage.FINAL, JudgmentForm(rationale="half a tho"))
    session.save_draft(item, Stage.FINAL, JudgmentForm(rationale="half a thought", active_ms=9))
    state = ReviewSession(workspace, demo_study, ada).state(item)
    assert state.item.draft == JudgmentForm(rationale="half a thought", active_ms=9)
    session.submit(item, Stage.FINAL, FORM)
    assert session.state(item).item.draft is None


def test_commit_before_reveal_stores_both_verdicts_and_logs_the_reveal(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    with workspace.db.atomic():
        study_rows.set_review_options(
            workspace.db, demo_study.id, commit_before_reveal=True, misleading_p=0.3
        )
    study = studies.study_named(workspace, demo_study.name)
    session = ReviewSession(workspace, study, ada)
    item = _first_item(session)
    assert not session.state(item).revealed
    first_form = JudgmentForm(Verdict.ACCEPTABLE, confidence=2)
    session.submit(item, Stage.FIRST, first_form)
    state = session.state(item)
    assert state.revealed and item not in session.done
    assert state.draft_stage is Stage.FINAL and state.item.draft == first_form
    session.submit(item, Stage.FINAL, FORM)
    final = session.state(item).item
    assert final.first is not None and final.first.form.verdict is Verdict.ACCEPTABLE
    assert final.final is not None and final.final.form.verdict is Verdict.FLAWED
    # The committed first verdict cannot be undone once the assistance was seen.
    session.undo_last()
    assert session.undo_last() is None
    assert session.state(item).item.first is not None


def test_a_first_verdict_is_refused_when_the_study_does_not_ask_for_one(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    with pytest.raises(EvalStudioError, match="no first verdict"):
        session.submit(_first_item(session), Stage.FIRST, JudgmentForm(Verdict.FLAWED, None, 3))


def test_an_unassisted_item_takes_no_first_verdict_even_when_the_study_asks_for_one(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    item = studies.study_items(workspace, demo_study.id)[0].item_id
    with workspace.db.atomic():
        study_rows.set_review_options(
            workspace.db, demo_study.id, commit_before_reveal=True, misleading_p=0.3
        )
        assignments.insert_assignments(
            workspace.db, demo_study.id, ada.id, [(item, Condition.UNASSISTED)]
        )
    session = ReviewSession(workspace, studies.study_named(workspace, demo_study.name), ada)
    assert not session.first_verdict_needed(session.queue[0])
    with pytest.raises(EvalStudioError, match="no first verdict"):
        session.submit(item, Stage.FIRST, JudgmentForm(Verdict.FLAWED, None, 3))


def test_the_newest_mark_of_a_point_wins_and_clearing_removes_it(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    item = _first_item(session)
    event = _assist_event(workspace, item)
    session.mark_point(item, event, 0, PointMark.VALID)
    session.mark_point(item, event, 1, PointMark.VALID)
    session.mark_point(item, event, 0, PointMark.INVALID)
    session.mark_point(item, event, 1, PointMark.CLEARED)
    assert session.state(item).item.point_marks == {(event, 0): PointMark.INVALID}
    assert workspace.db["review_events"].count == 4


def test_a_flaw_from_a_critique_point_keeps_where_it_came_from(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    item = _first_item(session)
    event = _assist_event(workspace, item)
    flaw = ReportedFlaw(
        Severity.CRITICAL, "claimed", LineRange(2, 2), None, FlawSource.ASSISTANT, event, 0
    )
    session.submit(item, Stage.FINAL, dataclasses.replace(FORM, flaws=(*FORM.flaws, flaw)))
    stored = session.state(item).item.final
    assert stored is not None and stored.form.flaws[-1] == flaw


def test_resume_returns_to_the_item_opened_last_else_the_first_not_done(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    session.submit(_first_item(session), Stage.FINAL, FORM)
    assert ReviewSession(workspace, demo_study, ada).resume_index() == 1
    session.opened(session.queue[7].item.item_id)
    assert ReviewSession(workspace, demo_study, ada).resume_index() == 7
    assert session.next_undone(len(session.queue) - 1) == 1  # wraps around past the done one


def test_assignments_set_the_order_and_the_condition(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    items = [v.item_id for v in studies.study_items(workspace, demo_study.id)]
    plan = [(items[5], Condition.UNASSISTED), (items[2], Condition.MISLEADING)]
    with workspace.db.atomic():
        assignments.insert_assignments(workspace.db, demo_study.id, ada.id, plan)
    session = ReviewSession(workspace, demo_study, ada)
    assert [(e.item.item_id, e.condition) for e in session.queue] == plan
    assert session.misleading(session.queue[0]) is None
    misleading = session.misleading(session.queue[1])
    assert misleading is not None and misleading.p == demo_study.misleading_p
    judgment = session.submit(items[2], Stage.FINAL, FORM)
    assert judgment.condition is Condition.MISLEADING


def _assist_event(workspace: Workspace, item: str) -> str:
    """An assistance row to hang marks and flaws on (written as the service would)."""
    with workspace.db.atomic():
        assist_log.start_event(
            workspace.db,
            {
                "id": "ev1",
                "study_item_id": item,
                "kind": "critique",
                "messages": [],
                "params": {},
                "backend": "local",
                "model_id": "m",
                "requested_at": "2026-01-01T00:00:00",
            },
        )
    return "ev1"


def test_a_fresh_session_knows_which_items_are_skipped_and_which_have_a_draft(
    workspace: Workspace, demo_study: Study, ada: Evaluator
) -> None:
    """The queue's marks when it opens: a skip replaced by a judgment is no longer a skip, an
    undone skip is not one either, and a draft is a draft until its item is submitted."""
    session = ReviewSession(workspace, demo_study, ada)
    a, b, c, d = (entry.item.item_id for entry in session.queue[:4])
    session.skip(a, "cannot read it", active_ms=0)
    session.skip(b, "later", active_ms=0)
    session.submit(b, Stage.FINAL, FORM)  # a judgment over the skip
    session.skip(c, "oops", active_ms=0)
    session.save_draft(d, Stage.FINAL, JudgmentForm(rationale="half"))
    fresh = ReviewSession(workspace, demo_study, ada)
    assert fresh.skipped == {a, c} and fresh.drafted == {d}
    session.undo_last()  # c's skip taken back: open again, its form a draft
    session.submit(d, Stage.FINAL, FORM)
    fresh = ReviewSession(workspace, demo_study, ada)
    assert fresh.skipped == {a} and fresh.drafted == {c}
    assert fresh.done == {a, b, d}
