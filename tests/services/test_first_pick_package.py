"""A first pick travels in a session package and merges back as a final ordering does; a
package edited to hold a first judgment of a compare item without its order, or with one of
another item's answers, is refused whole and leaves the workspace as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.comparison_study import comparison_study, order_form, session_of
from support.session_study import digest, edit_as_attacker

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Layout, Ordering
from evalstudio.core.errors import SessionError
from evalstudio.core.model import Study
from evalstudio.core.review import Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.workspace.opening import Workspace, open_workspace


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    return comparison_study(workspace, tmp_path, options="commit_before_reveal = true\n")


def _first(ids: list[str], layout: Layout) -> Ordering:
    """The pick before the assistance: the left answer much better, the ranking as shown."""
    if layout is Layout.COMPARE:
        return Ordering(((ids[0],), (ids[1],)), MUCH_BETTER)
    return Ordering(tuple((c,) for c in ids))


def _final(ids: list[str], layout: Layout) -> Ordering:
    """After it: the right answer better, the ranking reversed."""
    if layout is Layout.COMPARE:
        return Ordering(((ids[1],), (ids[0],)), BETTER)
    return Ordering(tuple((c,) for c in reversed(ids)))


def _judged_package(workspace: Workspace, study: Study, folder: Path) -> Path:
    """Ada's package, judged in it: a first pick on each assisted item, then the final."""
    path = export_package(workspace, study.name, "Ada", folder / "Ada.evs").path
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    firsts = 0
    for entry in session.queue:
        item = entry.item
        ids = [s.candidate_id for s in item.sides]
        if session.first_verdict_needed(entry):
            first = _first(ids, item.layout)
            session.submit(
                item.item_id, Stage.FIRST, order_form(*first.tiers, strength=first.strength)
            )
            firsts += 1
        final = _final(ids, item.layout)
        session.submit(item.item_id, Stage.FINAL, order_form(*final.tiers, strength=final.strength))
    opened.close()
    assert firsts == 2  # the assisted compare and rank items
    return path


def test_first_picks_made_in_a_package_come_back_with_their_judgments(
    workspace: Workspace, study: Study, tmp_path: Path
) -> None:
    path = _judged_package(workspace, study, tmp_path)
    summary = merge_file(workspace, path)
    assert summary.tables["judgment_orders"].added == 5  # three final, two first
    session = session_of(workspace, study, "Ada")
    for entry in session.queue:
        item = entry.item
        ids = [s.candidate_id for s in item.sides]
        state = session.state(item.item_id).item
        assert state.final is not None and state.final.form.ordering == _final(ids, item.layout)
        if entry.condition.assisted:
            assert state.first is not None
            assert state.first.form.ordering == _first(ids, item.layout)
        else:
            assert state.first is None
    again = merge_file(workspace, path)
    assert again.tables["judgment_orders"].unchanged == 5 and again.added == 0


_FIRST_COMPARE = (
    "(SELECT j.id FROM judgments j JOIN study_items si ON si.id = j.study_item_id "
    "WHERE si.layout = 'compare' AND j.stage = 'first')"
)
REFUSED = {
    "a first pick without its order": (
        f"DELETE FROM judgment_orders WHERE judgment_id = {_FIRST_COMPARE}",
        "no order of the answers",
    ),
    "a first pick naming another item's answer": (
        "UPDATE judgment_orders SET tiers = (SELECT json_array(json_array(s.candidate_id), "
        "json_array(t.candidate_id)) FROM item_sides s, item_sides t "
        f"WHERE s.study_item_id <> t.study_item_id LIMIT 1) WHERE judgment_id = {_FIRST_COMPARE}",
        "must name each of the item's answers once",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_hostile_first_pick_refuses_the_file_and_changes_nothing(
    workspace: Workspace, study: Study, tmp_path: Path, case: str
) -> None:
    path = _judged_package(workspace, study, tmp_path)
    statement, message = REFUSED[case]
    edit_as_attacker(path, statement)
    before = digest(workspace)
    with pytest.raises(SessionError, match=message):
        merge_file(workspace, path)
    assert digest(workspace) == before
