"""Compare and rank items in session packages: the package shows each evaluator's sides in
their order and nothing of which twin is which, orderings come back with their judgments, and
a hostile package (orders naming other answers, verdicts on comparisons, judgments with
neither a verdict nor an order) is refused with the workspace unchanged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support.comparison_study import comparison_study, order_form, session_of
from support.rubric_study import answered, rubric_study
from support.session_study import digest, edit_as_attacker

from evalstudio.core.comparison import BETTER, Layout
from evalstudio.core.errors import SessionError
from evalstudio.core.model import Study, Truth
from evalstudio.core.review import Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.store import content, orders


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    return comparison_study(workspace, tmp_path)


def _package(workspace: Workspace, study: Study, name: str, folder: Path) -> Path:
    return export_package(workspace, study.name, name, folder / f"{name}.evs").path


def _judge_all(path: Path) -> None:
    """In the package: the left answer better on each compare item, the rank item reversed."""
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    for entry in session.queue:
        ids = [s.candidate_id for s in entry.item.sides]
        if entry.item.layout is Layout.COMPARE:
            form = order_form((ids[0],), (ids[1],), strength=BETTER)
        else:
            form = order_form(*((c,) for c in reversed(ids)))
        session.submit(entry.item.item_id, Stage.FINAL, form)
    opened.close()


def test_a_package_shows_the_owners_sides_and_slot_0_is_not_the_correct_twin(
    workspace: Workspace, study: Study, tmp_path: Path
) -> None:
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    correct_first = []
    for name in ("Ada", "Bob"):
        owner = {e.item.item_id: e.item.sides for e in session_of(workspace, study, name).queue}
        path = _package(workspace, study, name, tmp_path)
        conn = sqlite3.connect(path)
        slots = conn.execute(
            "SELECT study_item_id, candidate_id FROM item_sides ORDER BY study_item_id, slot"
        ).fetchall()
        leads = dict(conn.execute("SELECT id, candidate_id FROM study_items").fetchall())
        conn.close()
        opened = open_workspace(path)
        found = package_of(opened)
        assert found is not None
        seen = {
            e.item.item_id: e.item.sides
            for e in ReviewSession(opened, found.study, found.evaluator).queue
        }
        opened.close()
        assert seen == owner  # the evaluator sees in the package what the owner planned
        for item, sides in owner.items():
            listed = [cid for i, cid in slots if i == item]
            assert listed == [s.candidate_id for s in sides]
            assert leads[item] == sides[0].candidate_id
            if len(sides) == 2:
                correct_first.append(truths[listed[0]] is Truth.CORRECT)
    # Over the two evaluators each pair's correct twin is first once: the slots say nothing.
    assert sorted(correct_first) == [False, False, True, True]


def test_orderings_made_in_a_package_come_back_with_their_judgments(
    workspace: Workspace, study: Study, tmp_path: Path
) -> None:
    path = _package(workspace, study, "Ada", tmp_path)
    _judge_all(path)
    summary = merge_file(workspace, path)
    assert summary.tables["judgment_orders"].added == 3
    found = orders.order_judgments(workspace.db, study.id)
    assert len(found) == 3
    for judged in found:
        if judged.layout is Layout.COMPARE:
            assert judged.ordering.tiers == ((judged.shown[0],), (judged.shown[1],))
        else:
            assert judged.ordering.candidates == tuple(reversed(judged.shown))
    again = merge_file(workspace, path)
    assert again.tables["judgment_orders"].unchanged == 3 and again.added == 0


_COMPARE_JUDGMENT = (
    "(SELECT j.id FROM judgments j JOIN study_items si ON si.id = j.study_item_id "
    "WHERE si.layout = 'compare' LIMIT 1)"
)
_RANK_JUDGMENT = (
    "(SELECT j.id FROM judgments j JOIN study_items si ON si.id = j.study_item_id "
    "WHERE si.layout = 'rank' LIMIT 1)"
)
REFUSED = {
    "an order naming another item's answer": (
        f"UPDATE judgment_orders SET tiers = (SELECT json_array(json_array(s.candidate_id), "
        f"json_array(t.candidate_id)) FROM item_sides s, item_sides t "
        f"WHERE s.study_item_id <> t.study_item_id LIMIT 1) "
        f"WHERE judgment_id = {_COMPARE_JUDGMENT}",
        "must name each of the item's answers once",
    ),
    "SQL and nonsense for a candidate id": (
        "UPDATE judgment_orders SET tiers = '[[\"x''); DROP TABLE judgments; --\"], [\"y\"]]' "
        f"WHERE judgment_id = {_COMPARE_JUDGMENT}",
        "must name each of the item's answers once",
    ),
    "tiers of the wrong depth": (
        'UPDATE judgment_orders SET tiers = \'[[["a"]], ["b"]]\' '
        f"WHERE judgment_id = {_COMPARE_JUDGMENT}",
        "tiers must be 1-9 lists of candidate ids",
    ),
    "a tie with a strength": (
        "UPDATE judgment_orders SET tiers = (SELECT json_array(json_group_array(candidate_id)) "
        f"FROM item_sides WHERE study_item_id = (SELECT study_item_id FROM judgments "
        f"WHERE id = {_COMPARE_JUDGMENT})) WHERE judgment_id = {_COMPARE_JUDGMENT}",
        "a tie has no strength",
    ),
    "a tie in a ranking": (
        "UPDATE judgment_orders SET tiers = (SELECT json_array(json_group_array(candidate_id)) "
        f"FROM item_sides WHERE study_item_id = (SELECT study_item_id FROM judgments "
        f"WHERE id = {_RANK_JUDGMENT})) WHERE judgment_id = {_RANK_JUDGMENT}",
        "put all 4 answers in order",
    ),
    "a verdict on a comparison": (
        f"UPDATE judgments SET verdict = 'flawed' WHERE id = {_COMPARE_JUDGMENT}",
        "a verdict on a compare item",
    ),
    "a comparison without its order": (
        f"DELETE FROM judgment_orders WHERE judgment_id = {_RANK_JUDGMENT}",
        "no order of the answers",
    ),
    "an order without its judgment": (
        "INSERT INTO judgment_orders (judgment_id, tiers, strength) VALUES ('forged', '[]', NULL)",
        "a row of judgment_orders .* refers to a missing judgments row",
    ),
    "a draft whose ordering is not one": (
        "INSERT INTO drafts (evaluator_id, study_item_id, stage, form, saved_at) "
        "SELECT package_info.evaluator_id, study_items.id, 'final', "
        '\'{"ordering": {"tiers": "abc"}}\', \'2026-12-01T00:00:00+00:00\' '
        "FROM study_items, package_info LIMIT 1",
        "unreadable form data",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_hostile_comparison_refuses_the_file_and_changes_nothing(
    workspace: Workspace, study: Study, tmp_path: Path, case: str
) -> None:
    path = _package(workspace, study, "Ada", tmp_path)
    _judge_all(path)
    statement, message = REFUSED[case]
    edit_as_attacker(path, statement)
    before = digest(workspace)
    with pytest.raises(SessionError, match=message):
        merge_file(workspace, path)
    assert digest(workspace) == before


def test_a_single_item_judgment_with_neither_verdict_nor_skip_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    """m017 loosened the judgments check for comparisons; the merge keeps it for single items."""
    plain = rubric_study(workspace, tmp_path, name="Plain")
    path = _package(workspace, plain, "Ada", tmp_path)
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    session.submit(session.queue[0].item.item_id, Stage.FINAL, answered(3))
    opened.close()
    edit_as_attacker(path, "UPDATE judgments SET verdict = NULL")
    before = digest(workspace)
    with pytest.raises(SessionError, match="neither a verdict nor a skip"):
        merge_file(workspace, path)
    assert digest(workspace) == before


def test_compare_items_under_the_misleading_condition_are_not_packaged(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Offline, assistance on them would be live and honest: the condition would be a lie."""
    study = comparison_study(
        workspace, tmp_path, name="Misled", options='conditions = ["misleading"]'
    )
    before = digest(workspace)
    with pytest.raises(SessionError, match="compare or rank items under the misleading"):
        _package(workspace, study, "Ada", tmp_path)
    assert digest(workspace) == before
    assert not (tmp_path / "Ada.evs").exists()
