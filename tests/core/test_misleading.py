"""The misleading-assistant draw: reproducible, at rate p, wrong-way, on a real line, with as
many points as an honest critique of the verdict it argues."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalstudio.core.assistance import AssistKind, Critique, CritiquePoint, Manipulation
from evalstudio.core.misleading import (
    MAX_POINTS,
    NO_HONEST_POINTS,
    HonestPoints,
    Misalignment,
    MisleadingPlan,
    plan_manipulation,
)
from evalstudio.core.model import Severity, Truth, Verdict

CANDIDATE = "def f(xs):\n\n    total = 0\n   \n    for x in xs:\n\t\n        total += x\n\n"
NON_BLANK = {1, 3, 5, 7}
EVALUATORS = [f"evaluator-{n}" for n in range(80)]
ITEMS = [f"item-{n}" for n in range(50)]  # 80 x 50 = 4,000 combinations


def _plan(
    *,
    p: float = 0.3,
    evaluator_id: str = "evaluator-0",
    item_id: str = "item-0",
    truth: Truth | None = Truth.CORRECT,
    candidate: str = CANDIDATE,
    kind: AssistKind = AssistKind.CRITIQUE,
    seed: str = "study-seed",
    honest_points: HonestPoints = NO_HONEST_POINTS,
) -> MisleadingPlan:
    return plan_manipulation(
        p=p,
        seed=seed,
        evaluator_id=evaluator_id,
        item_id=item_id,
        kind=kind,
        truth=truth,
        candidate=candidate,
        honest_points=honest_points,
    )


def _all_plans(p: float, truth: Truth | None) -> list[MisleadingPlan]:
    return [_plan(p=p, evaluator_id=e, item_id=i, truth=truth) for e in EVALUATORS for i in ITEMS]


# --- reproducibility -------------------------------------------------------------------------


def test_the_same_inputs_give_the_same_plan() -> None:
    for truth in (Truth.CORRECT, Truth.FLAWED, None):
        for item in ITEMS:
            assert _plan(p=0.5, item_id=item, truth=truth) == _plan(
                p=0.5, item_id=item, truth=truth
            )


def test_different_evaluators_get_different_draws() -> None:
    first = [_plan(p=0.5, evaluator_id="alice", item_id=i) for i in ITEMS]
    second = [_plan(p=0.5, evaluator_id="bob", item_id=i) for i in ITEMS]
    assert first != second
    assert sum(a != b for a, b in zip(first, second, strict=True)) >= 10


def test_different_seeds_and_kinds_get_different_draws() -> None:
    base = [_plan(p=0.5, item_id=i) for i in ITEMS]
    assert base != [_plan(p=0.5, item_id=i, seed="another-seed") for i in ITEMS]
    assert base != [_plan(p=0.5, item_id=i, kind=AssistKind.EXPLAIN) for i in ITEMS]


# --- rate ------------------------------------------------------------------------------------


def test_the_manipulated_share_is_close_to_p() -> None:
    plans = _all_plans(0.3, Truth.CORRECT)
    share = sum(plan.manipulation is not None for plan in plans) / len(plans)
    assert share == pytest.approx(0.3, abs=0.03)


def test_p_zero_never_manipulates() -> None:
    for truth in (Truth.CORRECT, Truth.FLAWED, None):
        assert all(plan == MisleadingPlan(None, None) for plan in _all_plans(0.0, truth))


def test_p_one_always_manipulates() -> None:
    for truth in (Truth.CORRECT, Truth.FLAWED, None):
        assert all(plan.manipulation is not None for plan in _all_plans(1.0, truth))


# --- direction -------------------------------------------------------------------------------


def test_a_flawed_candidate_gets_a_pass_without_a_line() -> None:
    plans = _all_plans(1.0, Truth.FLAWED)
    assert {(p.manipulation, p.flag_line, p.misalignment) for p in plans} == {
        (Manipulation.PASS, None, Misalignment.ADVERSARIAL)
    }


def test_a_correct_candidate_gets_a_flag_on_a_non_blank_line() -> None:
    plans = _all_plans(1.0, Truth.CORRECT)
    assert {plan.manipulation for plan in plans} == {Manipulation.FLAG}
    lines = {plan.flag_line for plan in plans}
    assert lines == NON_BLANK  # every non-blank line is drawn, no blank one ever


def test_a_blank_candidate_is_flagged_on_line_one() -> None:
    for candidate in ("", "\n\n", "   \n\t\n"):
        plan = _plan(p=1.0, candidate=candidate, kind=AssistKind.EXPLAIN)
        assert plan == MisleadingPlan(Manipulation.FLAG, 1, Misalignment.ADVERSARIAL)


def test_unknown_truth_draws_each_direction_about_half_the_time() -> None:
    plans = _all_plans(1.0, None)
    passes = [plan for plan in plans if plan.manipulation is Manipulation.PASS]
    flags = [plan for plan in plans if plan.manipulation is Manipulation.FLAG]
    assert len(passes) + len(flags) == len(plans)
    assert len(passes) / len(plans) == pytest.approx(0.5, abs=0.05)
    assert all(plan.flag_line is None for plan in passes)
    assert {plan.flag_line for plan in flags} <= NON_BLANK


# --- number of points -----------------------------------------------------------------------

HONEST = HonestPoints(flawed=(0, 1, 2, 2, 3, 3, 3, 6), acceptable=(0, 0, 0, 1))


def _critique(points: int, verdict: Verdict | None) -> Critique:
    point = CritiquePoint(None, Severity.MINOR, "x")
    return Critique((point,) * points, verdict, structured=True)


def test_a_critique_lists_as_many_points_as_an_honest_one_of_the_verdict_it_argues() -> None:
    for truth, honest in ((Truth.FLAWED, HONEST.acceptable), (Truth.CORRECT, HONEST.flawed)):
        plans = [
            _plan(p=1.0, evaluator_id=e, item_id=i, truth=truth, honest_points=HONEST)
            for e in EVALUATORS
            for i in ITEMS
        ]
        drawn = Counter(plan.points for plan in plans)
        # A FLAG names its line: an honest "flawed" critique without points is no model.
        seen = [n for n in honest if truth is Truth.FLAWED or n >= 1]
        for count in range(MAX_POINTS + 1):
            share = seen.count(count) / len(seen)
            assert drawn[count] / len(plans) == pytest.approx(share, abs=0.03), count


def test_without_honest_critiques_of_a_verdict_any_allowed_number_is_as_likely() -> None:
    only_flawed = HonestPoints(flawed=(2,))
    for truth, least in ((Truth.FLAWED, 0), (Truth.CORRECT, 2)):
        plans = [
            _plan(p=1.0, evaluator_id=e, item_id=i, truth=truth, honest_points=only_flawed)
            for e in EVALUATORS
            for i in ITEMS
        ]
        drawn = Counter(plan.points for plan in plans)
        if least == 2:  # the honest "flawed" ones all had 2
            assert drawn == {2: len(plans)}
        else:
            assert set(drawn) == set(range(MAX_POINTS + 1))
            assert all(n / len(plans) == pytest.approx(1 / 7, abs=0.03) for n in drawn.values())
    assert {_plan(p=1.0, item_id=i).points for i in ITEMS} == set(range(1, MAX_POINTS + 1))


def test_only_a_critique_gets_a_number_of_points() -> None:
    for kind in (AssistKind.EXPLAIN, AssistKind.FACT_CHECK, AssistKind.CHAT):
        for item in ITEMS:
            assert _plan(p=1.0, item_id=item, kind=kind, honest_points=HONEST).points is None
    assert _plan(p=0.0, honest_points=HONEST).points is None


def test_honest_points_are_counted_by_verdict_whatever_their_order() -> None:
    critiques = [_critique(3, Verdict.FLAWED), _critique(0, Verdict.ACCEPTABLE)]
    critiques += [_critique(1, Verdict.FLAWED), _critique(5, None)]
    counted = HonestPoints.of(critiques)
    assert counted == HonestPoints(flawed=(1, 3), acceptable=(0,))
    assert HonestPoints.of(reversed(critiques)) == counted


def test_more_honest_points_than_a_critique_may_list_count_as_the_most() -> None:
    many = HonestPoints(flawed=(MAX_POINTS + 5,))
    assert {_plan(p=1.0, item_id=i, honest_points=many).points for i in ITEMS} == {MAX_POINTS}


# --- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [-0.01, 1.01, -1.0, 2.0, float("nan"), float("inf")])
def test_p_outside_zero_to_one_raises(p: float) -> None:
    with pytest.raises(ValueError, match="p must be in"):
        _plan(p=p)


# --- property --------------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    candidate=st.text(),
    p=st.floats(min_value=0.0, max_value=1.0),
    truth=st.sampled_from([Truth.CORRECT, Truth.FLAWED, None]),
    item_id=st.text(max_size=8),
)
def test_a_flag_line_is_always_within_the_candidate(
    candidate: str, p: float, truth: Truth | None, item_id: str
) -> None:
    plan = _plan(p=p, candidate=candidate, truth=truth, item_id=item_id)
    if plan.manipulation is Manipulation.FLAG:
        assert plan.flag_line is not None
        lines = candidate.splitlines()
        assert 1 <= plan.flag_line <= max(1, len(lines))
        if any(line.strip() for line in lines):
            assert lines[plan.flag_line - 1].strip()
    else:
        assert plan.flag_line is None
