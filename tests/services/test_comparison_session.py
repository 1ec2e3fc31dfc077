"""Compare and rank items through the real services: import, plan, review, store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from support.comparison_study import comparison_study, order_form, session_of

from evalstudio.core.comparison import MUCH_BETTER, Layout
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Truth
from evalstudio.core.review import Condition, Stage
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content, orders


def test_pairs_become_compare_items_and_a_record_of_four_answers_a_rank_item(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = comparison_study(workspace, tmp_path)
    session = session_of(workspace, study, "Ada")
    layouts = Counter(entry.item.layout for entry in session.queue)
    assert layouts == {Layout.COMPARE: 2, Layout.RANK: 1}
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    for entry in session.queue:
        item = entry.item
        if item.layout is Layout.COMPARE:
            shown = [truths[s.candidate_id] for s in item.sides]
            assert sorted(shown) == [Truth.CORRECT, Truth.FLAWED]
            assert item.candidate == item.sides[0].text  # the first shown is "the" candidate
        else:
            assert len(item.sides) == 4


def test_the_plan_counterbalances_which_side_the_flawed_twin_is_on(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Two evaluators, every pair for each: each pair's flawed twin is on the left for one of
    them and on the right for the other (the plan's twin draw, relabelled per evaluator)."""
    study = comparison_study(workspace, tmp_path)
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    left: dict[str, list[bool]] = {}
    for name in ("Ada", "Bob"):
        for entry in session_of(workspace, study, name).queue:
            if entry.item.layout is Layout.COMPARE:
                flawed_left = truths[entry.item.sides[0].candidate_id] is Truth.FLAWED
                left.setdefault(entry.item.item_id, []).append(flawed_left)
    assert len(left) == 2
    assert all(sorted(sides) == [False, True] for sides in left.values())


def test_an_ordering_is_stored_and_read_back_with_what_the_evaluator_saw(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = comparison_study(workspace, tmp_path)
    session = session_of(workspace, study, "Ada")
    compare = next(e.item for e in session.queue if e.item.layout is Layout.COMPARE)
    rank = next(e.item for e in session.queue if e.item.layout is Layout.RANK)
    a, b = (s.candidate_id for s in compare.sides)
    session.submit(compare.item_id, Stage.FINAL, order_form((b,), (a,), strength=MUCH_BETTER))
    ids = [s.candidate_id for s in rank.sides]
    session.submit(rank.item_id, Stage.FINAL, order_form(*((c,) for c in reversed(ids))))

    state = session.state(compare.item_id)
    assert state.item.final is not None
    assert state.item.final.form.ordering is not None
    assert state.item.final.form.ordering.tiers == ((b,), (a,))
    found = {j.item_id: j for j in orders.order_judgments(workspace.db, study.id)}
    assert set(found) == {compare.item_id, rank.item_id}
    judged = found[compare.item_id]
    assert judged.shown == (a, b)  # A was shown first
    assert judged.ordering.strength == MUCH_BETTER
    assert judged.correct_id == judged.slots[0]
    assert judged.condition in (Condition.UNASSISTED, Condition.ASSISTED)
    assert found[rank.item_id].ordering.candidates == tuple(reversed(ids))
    assert found[rank.item_id].correct_id is None


@pytest.mark.parametrize(
    ("tiers", "strength", "expected"),
    [
        ((), None, "say which answer is better"),
        ((("x",), ("y",)), 1, "must name each of the item's answers once"),
        (None, 1, "a tie has no strength"),
        (("swap",), None, "say how much better"),
    ],
)
def test_a_bad_comparison_is_refused_by_name_and_nothing_is_written(
    workspace: Workspace,
    tmp_path: Path,
    tiers: tuple[tuple[str, ...], ...] | None,
    strength: int | None,
    expected: str,
) -> None:
    study = comparison_study(workspace, tmp_path)
    session = session_of(workspace, study, "Ada")
    item = next(e.item for e in session.queue if e.item.layout is Layout.COMPARE)
    a, b = (s.candidate_id for s in item.sides)
    if tiers is None:
        form = order_form((a, b), strength=strength)
    elif tiers == ("swap",):
        form = order_form((b,), (a,))
    elif tiers:
        form = order_form(*tiers, strength=strength)
    else:
        form = order_form()
        form = form.__class__(confidence=4)
    with pytest.raises(EvalStudioError, match=expected):
        session.submit(item.item_id, Stage.FINAL, form)
    assert orders.order_judgments(workspace.db, study.id) == []
    assert session.state(item.item_id).item.final is None


def test_a_tie_is_refused_when_the_study_allows_none_and_a_ranking_needs_every_place(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = comparison_study(workspace, tmp_path, options="compare_ties = false")
    session = session_of(workspace, study, "Ada")
    compare = next(e.item for e in session.queue if e.item.layout is Layout.COMPARE)
    a, b = (s.candidate_id for s in compare.sides)
    with pytest.raises(EvalStudioError, match="does not allow a tie"):
        session.submit(compare.item_id, Stage.FINAL, order_form((a, b)))
    rank = next(e.item for e in session.queue if e.item.layout is Layout.RANK)
    ids = [s.candidate_id for s in rank.sides]
    with pytest.raises(EvalStudioError, match="put all 4 answers in order"):
        session.submit(
            rank.item_id, Stage.FINAL, order_form(tuple(ids[:2]), *((c,) for c in ids[2:]))
        )


def test_a_draft_keeps_the_ordering_and_undo_brings_it_back(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = comparison_study(workspace, tmp_path)
    session = session_of(workspace, study, "Bob")
    rank = next(e.item for e in session.queue if e.item.layout is Layout.RANK)
    ids = tuple((s.candidate_id,) for s in rank.sides)
    form = order_form(*ids)
    session.save_draft(rank.item_id, Stage.FINAL, form)
    assert session.state(rank.item_id).item.draft == form
    session.submit(rank.item_id, Stage.FINAL, form)
    undone = session.undo_last()
    assert undone is not None and undone.form.ordering == form.ordering
    assert session.state(rank.item_id).item.draft == form
    assert orders.order_judgments(workspace.db, study.id) == []
