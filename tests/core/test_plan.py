"""The assignment plan's promises, over many random designs (hypothesis)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalstudio.core.plan import Design, PairUnit, make_plan, queues
from evalstudio.core.review import Condition


@st.composite
def designs(draw: st.DrawFn, full: bool | None = None) -> Design:
    n_evaluators = draw(st.integers(1, 12))
    n_pairs = draw(st.integers(0, 30))
    conditions = draw(
        st.lists(st.sampled_from(list(Condition)), min_size=1, max_size=3, unique=True)
    )
    crossed = draw(st.booleans()) if full is None else full
    k = None if crossed else draw(st.integers(1, n_evaluators))
    return Design(
        evaluators=tuple(f"e{i}" for i in range(n_evaluators)),
        pairs=tuple(PairUnit(f"p{i}", f"p{i}-ok", f"p{i}-bug") for i in range(n_pairs)),
        conditions=tuple(conditions),
        seed=draw(st.text(max_size=8)),
        singles=tuple(f"s{i}" for i in range(draw(st.integers(0, 3)))),
        gold=tuple(f"g{i}" for i in range(draw(st.integers(0, 6)))),
        gold_rate=draw(st.sampled_from([0.0, 0.1, 0.2])),
        judgments_per_pair=k,
    )


def _spread(counts: Counter[object], keys: list[object]) -> int:
    values = [counts.get(key, 0) for key in keys]
    return max(values) - min(values)


@settings(max_examples=300, deadline=None)
@given(designs())
def test_each_evaluator_sees_one_twin_per_pair_balanced_within_one(design: Design) -> None:
    for evaluator, queue in queues(make_plan(design)).items():
        pairs = [a.pair_id for a in queue if a.pair_id is not None]
        assert len(pairs) == len(set(pairs)), f"{evaluator} sees both twins of a pair"
        flawed = sum(1 for a in queue if a.twin_flawed)
        correct = sum(1 for a in queue if a.twin_flawed is False)
        assert abs(flawed - correct) <= 1
        in_pairs = [a for a in queue if a.pair_id is not None]
        conditions = Counter(a.condition for a in in_pairs)
        assert _spread(conditions, list(design.conditions)) <= 1
        crossed = Counter((a.condition, a.twin_flawed) for a in in_pairs)
        cells = [(c, f) for c in design.conditions for f in (True, False)]
        assert _spread(crossed, cells) <= 1  # flawed twins in every condition alike
        assert [a.position for a in queue] == list(range(len(queue)))


@settings(max_examples=300, deadline=None)
@given(designs())
def test_every_pair_is_judged_as_often_as_asked_and_loads_are_even(design: Design) -> None:
    plan = make_plan(design)
    per_pair = Counter(a.pair_id for a in plan if a.pair_id is not None)
    wanted = design.judgments_per_pair or len(design.evaluators)
    assert all(per_pair[unit.pair_id] == wanted for unit in design.pairs)
    loads = Counter(a.evaluator for a in plan if a.pair_id is not None)
    assert _spread(loads, list(design.evaluators)) <= 1


@settings(max_examples=200, deadline=None)
@given(designs(full=True))
def test_fully_crossed_each_twin_is_judged_under_every_condition(design: Design) -> None:
    plan = make_plan(design)
    n, c = len(design.evaluators), len(design.conditions)
    for unit in design.pairs:
        for item in (unit.correct_item, unit.flawed_item):
            conditions = Counter(a.condition for a in plan if a.item == item)
            assert _spread(conditions, list(design.conditions)) <= 1
            if n % (2 * c) == 0:
                assert set(conditions) == set(design.conditions)
                assert len(set(conditions.values())) == 1


@settings(max_examples=200, deadline=None)
@given(designs())
def test_gold_items_come_at_the_asked_rate_as_far_as_there_are_any(design: Design) -> None:
    for queue in queues(make_plan(design)).values():
        gold = [a for a in queue if a.gold]
        main = len(queue) - len(gold)
        wanted = round(design.gold_rate * main / (1 - design.gold_rate)) if main else 0
        assert len(gold) == min(wanted, len(design.gold))
        assert len({a.item for a in gold}) == len(gold)
        assert all(a.item in design.gold for a in gold)


@settings(max_examples=100, deadline=None)
@given(designs())
def test_the_plan_is_a_function_of_the_design_and_its_seed(design: Design) -> None:
    assert make_plan(design) == make_plan(design)


def test_another_seed_gives_another_order() -> None:
    pairs = tuple(PairUnit(f"p{i}", f"p{i}-ok", f"p{i}-bug") for i in range(20))
    base = Design(("a", "b", "c", "d"), pairs, (Condition.UNASSISTED, Condition.ASSISTED), "1")
    other = Design(base.evaluators, pairs, base.conditions, "2")
    assert [a.item for a in make_plan(base)] != [a.item for a in make_plan(other)]


def test_queues_are_shuffled_not_in_pair_order() -> None:
    pairs = tuple(PairUnit(f"p{i:02}", f"p{i:02}-ok", f"p{i:02}-bug") for i in range(30))
    plan = make_plan(Design(("a",), pairs, (Condition.ASSISTED,), "s"))
    order = [a.pair_id for a in plan]
    assert order != sorted(order)


def test_bad_designs_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="at least one evaluator"):
        Design((), (), (Condition.ASSISTED,), "s")
    with pytest.raises(ValueError, match="listed twice"):
        Design(("a", "a"), (), (Condition.ASSISTED,), "s")
    with pytest.raises(ValueError, match="judgments_per_pair 3"):
        Design(("a", "b"), (), (Condition.ASSISTED,), "s", judgments_per_pair=3)
    with pytest.raises(ValueError, match="each once"):
        Design(("a",), (), (Condition.ASSISTED, Condition.ASSISTED), "s")
