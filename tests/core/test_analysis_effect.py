"""The effect of assistance and its intervals: small cases worked by hand, and coverage over
many simulated studies with a known truth (STUDY.md, "Checking the checker")."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest
from scipy import stats

from evalstudio.core.analysis.effect import (
    Outcomes,
    cluster_robust,
    permutation_p,
    pigeonhole_bootstrap,
    standard_errors,
)
from evalstudio.core.analysis.simulate import Scenario, intercept, simulate, simulated_power
from evalstudio.core.plan import Design, PairUnit, make_plan
from evalstudio.core.review import Condition

# 3 evaluators × 4 items; each evaluator judges every item, items 0-1 treated for e0, ...
EVALUATORS = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
ITEMS = [0, 1, 2, 3] * 3
TREATED = [1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0]
CAUGHT = [1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1]


def _one_way_by_hand(influence: list[float], groups: list[int] | list[str]) -> float:
    sums: dict[int | str, float] = {}
    for value, group in zip(influence, groups, strict=True):
        sums[group] = sums.get(group, 0.0) + value
    g = len(sums)
    return g / (g - 1) * sum(s * s for s in sums.values())


def test_d_and_its_cgm_interval_match_a_hand_computation() -> None:
    o = Outcomes.of(EVALUATORS, ITEMS, [bool(t) for t in TREATED], [bool(c) for c in CAUGHT])
    effect = cluster_robust(o)
    treated = [c for c, t in zip(CAUGHT, TREATED, strict=True) if t]
    control = [c for c, t in zip(CAUGHT, TREATED, strict=True) if not t]
    p1, p0 = sum(treated) / len(treated), sum(control) / len(control)
    assert (effect.rate_treated, effect.rate_control) == (p1, p0) == (5 / 6, 2 / 6)
    assert effect.difference == pytest.approx(0.5) and effect.ratio == pytest.approx(2.5)
    influence = [
        (c - p1) / len(treated) if t else -(c - p0) / len(control)
        for c, t in zip(CAUGHT, TREATED, strict=True)
    ]
    v = (
        _one_way_by_hand(influence, EVALUATORS)
        + _one_way_by_hand(influence, ITEMS)
        - _one_way_by_hand(influence, list(range(12)))
    )
    v = (
        v
        if v > 0
        else max(_one_way_by_hand(influence, EVALUATORS), _one_way_by_hand(influence, ITEMS))
    )
    t = 4.302652729911275  # t(0.975) on min(3, 4) - 1 = 2 degrees of freedom
    assert effect.difference_ci is not None
    assert standard_errors(o)[0] == pytest.approx(math.sqrt(v))
    # Cut to [-1, 1], the values a difference of two rates can take.
    assert effect.difference_ci.low == pytest.approx(max(-1.0, 0.5 - t * math.sqrt(v)))
    assert effect.difference_ci.high == pytest.approx(min(1.0, 0.5 + t * math.sqrt(v)))


def test_the_intercept_gives_the_asked_marginal_rate() -> None:
    rng = np.random.default_rng(1)
    b = intercept(0.27, math.hypot(0.5, 1.0))
    draws = b + rng.normal(0, 0.5, 400_000) + rng.normal(0, 1.0, 400_000)
    assert float(np.mean(1 / (1 + np.exp(-draws)))) == pytest.approx(0.27, abs=0.003)


@pytest.mark.parametrize("rate", [0.0, 1e-12, 1.0])
def test_a_rate_of_0_or_1_has_an_intercept_at_the_edge_of_the_bracket(rate: float) -> None:
    """Found by test_study_fuzz.py: a study file assuming a 0% detection rate made the
    intercept's root search raise, and `study create` with it."""
    assert abs(intercept(rate, math.hypot(0.5, 1.0))) < 20


def test_a_plan_that_deals_no_flawed_twin_simulates_no_judgment() -> None:
    """Found by test_study_fuzz.py: one pair judged once deals the correct twin to the
    one evaluator in half the seeds; the empty arrays were float and could not index."""
    outcomes = [simulate(Scenario(2, 1, judgments_per_pair=1), seed) for seed in range(8)]
    assert any(o.caught.size == 0 for o in outcomes)
    assert all(o.evaluator.dtype == np.int64 and o.treated.dtype == bool for o in outcomes)


def test_the_default_interval_covers_the_true_effect_in_90_to_98_percent() -> None:
    scenario = Scenario(evaluators=12, pairs=40)  # 27% -> 45%, evaluator SD 0.5, item SD 1.0
    studies = 1000
    covered_d = covered_r = 0
    for seed in range(studies):
        effect = cluster_robust(simulate(scenario, seed))
        assert effect.difference_ci is not None and effect.ratio_ci is not None
        covered_d += effect.difference_ci.covers(scenario.true_difference)
        covered_r += effect.ratio_ci.covers(scenario.true_ratio)
    assert 0.90 <= covered_d / studies <= 0.98
    assert 0.90 <= covered_r / studies <= 0.98


def test_a_planted_one_and_a_half_fold_effect_comes_back_at_1_5() -> None:
    scenario = Scenario(evaluators=12, pairs=40, control_rate=0.30, treated_rate=0.45)
    ratios = [cluster_robust(simulate(scenario, seed)).ratio for seed in range(1000)]
    assert statistics.median(ratios) == pytest.approx(1.5, abs=0.05)


def test_the_conservative_bootstrap_covers_at_least_93_percent() -> None:
    scenario = Scenario(evaluators=12, pairs=40)
    studies = 200
    covered = 0
    for seed in range(studies):
        effect = pigeonhole_bootstrap(simulate(scenario, 50_000 + seed), 2000, seed=seed)
        assert effect.difference_ci is not None
        covered += effect.difference_ci.covers(scenario.true_difference)
    assert covered / studies >= 0.93


def test_the_permutation_p_value_is_small_for_a_clear_effect_and_large_for_none() -> None:
    pairs = list(itertools.product(range(8), range(20)))
    evaluators, items = [e for e, _ in pairs], [i for _, i in pairs]
    treated = [(e + i) % 2 == 0 for e, i in pairs]
    clear = Outcomes.of(evaluators, items, treated, treated)  # caught exactly when treated
    assert permutation_p(clear, 500, seed=1) < 0.01
    none = Outcomes.of(evaluators, items, treated, [i % 2 == 0 for _, i in pairs])
    assert permutation_p(none, 500, seed=1) > 0.5


def test_the_simulator_simulates_the_plan_it_is_given() -> None:
    """Fewer judgments per pair or a third condition leave fewer judgments to compare, so less
    power than the full two-condition plan of the same evaluators and pairs."""
    full = simulated_power(Scenario(12, 40), studies=200, seed=5)
    fewer = simulated_power(Scenario(12, 40, judgments_per_pair=4), studies=200, seed=5)
    three = simulated_power(
        Scenario(
            12, 40, conditions=(Condition.UNASSISTED, Condition.ASSISTED, Condition.MISLEADING)
        ),
        studies=200,
        seed=5,
    )
    assert fewer.power < full.power - 0.2 and three.power < full.power - 0.1


THREE_CONDITIONS = (Condition.UNASSISTED, Condition.ASSISTED, Condition.MISLEADING)


def test_outcomes_refuse_numbers_that_skip_an_absent_cluster() -> None:
    """Numbered 0, 2: evaluator 1 judged nothing here and would count as a third cluster."""
    with pytest.raises(ValueError, match="evaluator numbers skip a value"):
        Outcomes(
            np.array([0, 2], dtype=np.int64),
            np.array([0, 1], dtype=np.int64),
            np.array([True, False]),
            np.array([True, False]),
        )


def test_a_simulated_study_counts_only_the_clusters_its_comparison_reaches() -> None:
    """6 evaluators × 10 pairs, three conditions, 2 judgments per pair: the flawed twins some
    pairs deal only to misleading or to nobody; those items (and evaluators left without an
    unassisted or assisted flawed twin) are not clusters. The interval is the report's: the
    same judgments numbered by name (Outcomes.of, as build_report numbers them) give it, and
    it is worked by hand from the clusters present."""
    scenario = Scenario(6, 10, conditions=THREE_CONDITIONS, judgments_per_pair=2)
    design = Design(
        evaluators=tuple(f"e{i}" for i in range(6)),
        pairs=tuple(PairUnit(f"p{i}", f"c{i}", f"f{i}") for i in range(10)),
        conditions=THREE_CONDITIONS,
        seed="0",
        judgments_per_pair=2,
    )
    compared = (Condition.UNASSISTED, Condition.ASSISTED)
    flawed = [a for a in make_plan(design) if a.twin_flawed and a.condition in compared]
    evaluators, items = [a.evaluator for a in flawed], [a.item for a in flawed]
    assert len(set(items)) < 10  # the case: an item absent from the comparison

    simulated = simulate(scenario, 0)
    assert (simulated.evaluator.max() + 1, simulated.item.max() + 1) == (
        len(set(evaluators)),
        len(set(items)),
    )
    by_name = Outcomes.of(evaluators, items, simulated.treated.tolist(), simulated.caught.tolist())
    found = cluster_robust(simulated)
    assert found == cluster_robust(by_name)

    treated, caught = simulated.treated.tolist(), simulated.caught.tolist()
    p1 = sum(c for c, t in zip(caught, treated, strict=True) if t) / sum(treated)
    p0 = sum(c for c, t in zip(caught, treated, strict=True) if not t) / (
        len(treated) - sum(treated)
    )
    influence = [
        (c - p1) / sum(treated) if t else -(c - p0) / (len(treated) - sum(treated))
        for c, t in zip(caught, treated, strict=True)
    ]
    v = (
        _one_way_by_hand(influence, evaluators)
        + _one_way_by_hand(influence, items)
        - _one_way_by_hand(influence, list(range(len(influence))))
    )
    groups = min(len(set(evaluators)), len(set(items)))
    t = float(stats.t.ppf(0.975, df=groups - 1))
    assert v > 0 and found.difference_ci is not None
    assert found.difference_ci.high == pytest.approx(min(1.0, p1 - p0 + t * math.sqrt(v)))
    assert found.difference_ci.low == pytest.approx(max(-1.0, p1 - p0 - t * math.sqrt(v)))
