"""A first pick before the assistance on compare and rank items: a study with
commit_before_reveal takes an ordering at the first stage on every assisted item, stores it
against the first judgment, starts the final draft from it and keeps it through undo."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support.comparison_study import comparison_study, order_form, session_of

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Layout
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.review import Condition, JudgmentForm, Stage
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.review.session import QueueEntry, ReviewSession
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import orders, review_log

COMMITS = "commit_before_reveal = true\n"


def _assisted(session: ReviewSession, layout: Layout) -> QueueEntry:
    return next(e for e in session.queue if e.item.layout is layout and e.condition.assisted)


def _sessions(workspace: Workspace, tmp_path: Path, options: str = COMMITS) -> list[ReviewSession]:
    study = comparison_study(workspace, tmp_path, options=options)
    return [session_of(workspace, study, name) for name in ("Ada", "Bob")]


def test_every_layout_takes_a_first_judgment_on_an_assisted_item_when_the_study_asks(
    workspace: Workspace, tmp_path: Path
) -> None:
    needed = set()
    for session in _sessions(workspace, tmp_path):
        for entry in session.queue:
            assert session.first_verdict_needed(entry) is entry.condition.assisted
            if entry.condition is Condition.ASSISTED:
                needed.add(entry.item.layout)
    assert needed == {Layout.COMPARE, Layout.RANK}


def test_without_commit_before_reveal_no_comparison_takes_a_first_pick(
    workspace: Workspace, tmp_path: Path
) -> None:
    session = _sessions(workspace, tmp_path, options="")[0]
    entry = _assisted(session, Layout.COMPARE)
    assert not session.first_verdict_needed(entry)
    a, b = (s.candidate_id for s in entry.item.sides)
    with pytest.raises(EvalStudioError, match="no first verdict"):
        session.submit(entry.item.item_id, Stage.FIRST, order_form((a,), (b,), strength=BETTER))


def test_a_first_pick_is_stored_starts_the_final_draft_and_opens_the_assistance(
    workspace: Workspace, tmp_path: Path
) -> None:
    session = _sessions(workspace, tmp_path)[0]
    item = _assisted(session, Layout.COMPARE).item
    a, b = (s.candidate_id for s in item.sides)
    answer = RubricAnswer("clarity", 3)
    form = order_form((b,), (a,), strength=MUCH_BETTER)
    first = session.submit(item.item_id, Stage.FIRST, replace(form, answers=(answer,)))
    assert first.stage is Stage.FIRST and first.form.answers == ()
    state = session.state(item.item_id)
    assert state.item.first is not None and state.item.final is None
    assert state.item.first.form.ordering == form.ordering
    assert state.draft_stage is Stage.FINAL
    assert state.item.draft is not None and state.item.draft.ordering == form.ordering
    assert state.revealed and review_log.revealed(workspace.db, session.evaluator.id, item.item_id)
    assert item.item_id not in session.done
    # the report reads final orderings: a first pick alone is not one
    assert orders.order_judgments(workspace.db, session.study.id) == []


def test_a_first_order_of_a_rank_item_is_validated_as_a_final_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    for session in _sessions(workspace, tmp_path):
        found = [e for e in session.queue if e.item.layout is Layout.RANK]
        if found and found[0].condition.assisted:
            break
    else:
        pytest.fail("no evaluator has the rank item assisted")
    item = found[0].item
    ids = [s.candidate_id for s in item.sides]
    with pytest.raises(EvalStudioError, match="put all 4 answers in order"):
        session.submit(item.item_id, Stage.FIRST, order_form(tuple(ids[:2]), (ids[2],), (ids[3],)))
    assert session.state(item.item_id).item.first is None
    assert not session.state(item.item_id).revealed
    with pytest.raises(EvalStudioError, match="rank the answers"):
        session.submit(item.item_id, Stage.FIRST, JudgmentForm(confidence=3))
    session.submit(item.item_id, Stage.FIRST, order_form(*((c,) for c in ids)))
    assert session.state(item.item_id).item.first is not None


def test_undo_takes_back_the_final_order_but_not_the_first_pick(
    workspace: Workspace, tmp_path: Path
) -> None:
    session = _sessions(workspace, tmp_path)[0]
    item = _assisted(session, Layout.COMPARE).item
    a, b = (s.candidate_id for s in item.sides)
    first = order_form((a,), (b,), strength=BETTER)
    session.submit(item.item_id, Stage.FIRST, first)
    final = order_form((b,), (a,), strength=BETTER)
    session.submit(item.item_id, Stage.FINAL, final)
    assert session.undo_last() is not None
    assert session.undo_last() is None  # the first pick stays committed
    state = session.state(item.item_id)
    assert state.item.final is None
    assert state.item.first is not None and state.item.first.form.ordering == first.ordering
    assert state.item.draft == final
