"""The demo comparison study shipped in resources/demo-compare, end to end through the real
services: created from its study.toml, judged by Ada and Bob through their review sessions
with the rubric answered, and reported with figures counted by hand."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from support.comparison_study import order_form

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Layout
from evalstudio.core.model import Study, Truth
from evalstudio.core.review import Stage
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.report.study_report import build_report
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content


@pytest.fixture
def study(workspace: Workspace) -> Study:
    return studies.ensure_demo_comparisons(workspace)


def _session(workspace: Workspace, study: Study, name: str) -> ReviewSession:
    person = next(e for e in list_evaluators(workspace) if e.name == name)
    return ReviewSession(workspace, study, person)


def test_the_demo_has_eight_pairs_side_by_side_four_rankings_and_a_rubric(
    workspace: Workspace, study: Study
) -> None:
    assert studies.ensure_demo_comparisons(workspace) == study  # once
    ada = _session(workspace, study, "Ada")
    assert Counter(e.item.layout for e in ada.queue) == {Layout.COMPARE: 8, Layout.RANK: 4}
    assert all(len(e.item.sides) == 4 for e in ada.queue if e.item.layout is Layout.RANK)
    assert [q.key for q in ada.questions_for(Layout.COMPARE)] == ["deciding", "problems", "note"]
    assert [q.key for q in ada.questions_for(Layout.RANK)] == [
        "deciding", "problems", "best_quality", "note",
    ]  # fmt: skip
    assert ada.questions_for(Layout.SINGLE) == ()


def test_judged_by_two_evaluators_the_report_counts_what_they_did(
    workspace: Workspace, study: Study
) -> None:
    """Ada picks the correct twin (much better) every time and ranks each question's answers
    in the file's order; Bob always prefers the left answer and reverses two of the four
    rankings. Each pair's correct twin is on the left for exactly one of them (the plan
    counterbalances), so: correct 8 + 4 = 12 of 16; left 4 + 8 = 12 of 16; Kendall's W 1 on
    the two rankings they agree on and 0 on the two reversed: mean 0.5; pairs ordered alike
    6 + 6 + 0 + 0 = 12 of 24."""
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    slots = {i.id: i.slots for i in content.multi_items(workspace.db, study.id)}
    names = {i.id: i.external_id for i in content.multi_items(workspace.db, study.id)}
    reversed_by_bob = sorted(n for i, n in names.items() if len(slots[i]) == 4)[2:]
    rubric = (RubricAnswer("deciding", "correctness"), RubricAnswer("problems", ("hallucinates",)))
    for name in ("Ada", "Bob"):
        session = _session(workspace, study, name)
        for entry in session.queue:
            item = entry.item
            shown = [s.candidate_id for s in item.sides]
            if item.layout is Layout.COMPARE:
                if name == "Ada":
                    good = next(c for c in shown if truths[c] is Truth.CORRECT)
                    bad = next(c for c in shown if c != good)
                    form = order_form((good,), (bad,), strength=MUCH_BETTER)
                else:
                    form = order_form((shown[0],), (shown[1],), strength=BETTER)
            else:
                order = list(slots[item.item_id])
                if name == "Bob" and names[item.item_id] in reversed_by_bob:
                    order.reverse()
                form = order_form(*((c,) for c in order))
            note = (RubricAnswer("note", "fine"),) if name == "Bob" else ()
            form = replace(form, answers=rubric + note)
            session.submit(item.item_id, Stage.FINAL, form)

    report = build_report(workspace, study.name)
    assert report.comparisons is not None and report.rankings is not None
    picks = report.comparisons.picks["unassisted"]
    assert (picks.judged, picks.correct.count, picks.ties.count, picks.flawed) == (16, 12, 0, 4)
    left = report.comparisons.left["unassisted"]
    assert (left.count, left.of) == (12, 16)
    ranks = report.rankings.agreement["unassisted"]
    assert sorted(ranks.kendall_w.values()) == pytest.approx([0, 0, 1, 1])
    assert ranks.mean_w == pytest.approx(0.5)
    assert (ranks.pairwise.count, ranks.pairwise.of) == (12, 24)
    by_key = {q.key: q for q in report.rubric}
    # 12 items × 2 evaluators, compare and rank alike; Bob's notes on his 12.
    assert by_key["deciding"].answered["unassisted"] == 24
    assert by_key["deciding"].distribution["unassisted"] == {
        "correctness": 24, "completeness": 0, "clarity": 0, "tone": 0,
    }  # fmt: skip
    assert by_key["note"].answered["unassisted"] == 12
