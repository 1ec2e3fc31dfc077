"""The misleading-assistant draw: reproducible, at rate p, wrong-way, on a real line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalstudio.core.assistance import AssistKind, Manipulation
from evalstudio.core.misleading import Misalignment, MisleadingPlan, plan_manipulation
from evalstudio.core.model import Truth

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
) -> MisleadingPlan:
    return plan_manipulation(
        p=p,
        seed=seed,
        evaluator_id=evaluator_id,
        item_id=item_id,
        kind=kind,
        truth=truth,
        candidate=candidate,
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
    assert set(_all_plans(1.0, Truth.FLAWED)) == {
        MisleadingPlan(Manipulation.PASS, None, Misalignment.ADVERSARIAL)
    }


def test_a_correct_candidate_gets_a_flag_on_a_non_blank_line() -> None:
    plans = _all_plans(1.0, Truth.CORRECT)
    assert {plan.manipulation for plan in plans} == {Manipulation.FLAG}
    lines = {plan.flag_line for plan in plans}
    assert lines == NON_BLANK  # every non-blank line is drawn, no blank one ever


def test_a_blank_candidate_is_flagged_on_line_one() -> None:
    for candidate in ("", "\n\n", "   \n\t\n"):
        assert _plan(p=1.0, candidate=candidate) == MisleadingPlan(
            Manipulation.FLAG, 1, Misalignment.ADVERSARIAL
        )


def test_unknown_truth_draws_each_direction_about_half_the_time() -> None:
    plans = _all_plans(1.0, None)
    passes = [plan for plan in plans if plan.manipulation is Manipulation.PASS]
    flags = [plan for plan in plans if plan.manipulation is Manipulation.FLAG]
    assert len(passes) + len(flags) == len(plans)
    assert len(passes) / len(plans) == pytest.approx(0.5, abs=0.05)
    assert all(plan.flag_line is None for plan in passes)
    assert {plan.flag_line for plan in flags} <= NON_BLANK


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
