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
    Interval,
    Outcomes,
    cluster_robust,
    percentile_interval,
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


def test_a_percentile_limit_is_unbounded_once_its_tail_share_is_infinite() -> None:
    """2,000 values, 95%: the upper limit sits at rank 1,999 × 0.975 = 1,949.025, between the
    1,950th and 1,951st smallest (0-based 1,949 and 1,950). 49 infinite values leave both
    finite (1,949 and 1,950: 1,949.025); 50 make the 1,951st infinite, and the limit with it."""
    finite_49 = percentile_interval(np.r_[np.arange(1951.0), [math.inf] * 49])
    assert finite_49 == Interval(pytest.approx(49.975), pytest.approx(1949.025))
    infinite_50 = percentile_interval(np.r_[np.arange(1950.0), [math.inf] * 50])
    assert infinite_50 == Interval(pytest.approx(49.975), math.inf)
    # Every value infinite: numpy alone would interpolate inf − inf to NaN.
    assert percentile_interval(np.full(10, math.inf)) == Interval(math.inf, math.inf)
    assert percentile_interval(np.array([], dtype=float)) is None


def _only_some_catch_without_help(evaluators: int, catchers: int) -> Outcomes:
    """Every evaluator judges 20 flawed twins, assisted where evaluator + item is even; every
    assisted judgment catches, and unassisted ones catch only for the first `catchers`
    evaluators. A resample then has R = +inf exactly when it draws none of those evaluators
    (its items always hold both conditions, up to the 2 × 2^-20 chance all are of one parity),
    with probability (1 − catchers/evaluators)^evaluators."""
    cells = list(itertools.product(range(evaluators), range(20)))
    treated = [(e + i) % 2 == 0 for e, i in cells]
    caught = [t or e < catchers for (e, _), t in zip(cells, treated, strict=True)]
    return Outcomes.of([e for e, _ in cells], [i for _, i in cells], treated, caught)


def test_the_bootstrap_keeps_infinite_ratios_so_the_upper_limit_is_unbounded() -> None:
    """4 evaluators, 1 catches without help: (3/4)^4 = 31.6% of resamples have R = +inf.
    The upper limit is +inf wherever its tail is under that share (95%: 2.5%; 50%: 25%) and
    finite where it is over it (20%: the 60th percentile, a tail of 40%); the lower limit is
    finite. Dropping the infinite resamples, as before, gave a finite 95% upper limit."""
    o = _only_some_catch_without_help(4, 1)
    assert cluster_robust(o).ratio == pytest.approx(1 / 0.25)  # unassisted rate: 1 in 4
    for level in (0.95, 0.5):
        ci = pigeonhole_bootstrap(o, 2000, seed=3, level=level).ratio_ci
        assert ci is not None and math.isfinite(ci.low) and ci.high == math.inf, level
    ci = pigeonhole_bootstrap(o, 2000, seed=3, level=0.2).ratio_ci
    assert ci is not None and math.isfinite(ci.high)
    d_ci = pigeonhole_bootstrap(o, 2000, seed=3).difference_ci
    assert d_ci is not None and math.isfinite(d_ci.low) and math.isfinite(d_ci.high)


def test_a_few_infinite_resamples_leave_the_95_percent_upper_limit_finite() -> None:
    """6 evaluators, 3 catch without help: (1/2)^6 = 1.6% of resamples are infinite, under
    the 2.5% tail, so the 95% limit is finite; they still count — the 99% limit (a 0.5%
    tail) is unbounded."""
    o = _only_some_catch_without_help(6, 3)
    ci = pigeonhole_bootstrap(o, 2000, seed=3).ratio_ci
    assert ci is not None and math.isfinite(ci.low) and math.isfinite(ci.high)
    assert ci.covers(cluster_robust(o).ratio)
    wide = pigeonhole_bootstrap(o, 2000, seed=3, level=0.99).ratio_ci
    assert wide is not None and wide.high == math.inf


def test_a_negative_two_way_variance_falls_back_to_the_larger_one_way_variance() -> None:
    """The 3 × 4 design above, caught so that D = 3/6 − 1/6. The evaluators' sums of the
    influence (±1/12 treated; 1/36 or −5/36 unassisted) are −1/9, 1/18 and 1/18, so
    V_evaluator = 3/2 · (1/81 + 2/324) = 1/36; V_item and V_judgment (by hand, below) make the
    two-way sum negative. The variance used is then 1/36, not 0: an interval of width 0."""
    caught = [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1]
    o = Outcomes.of(EVALUATORS, ITEMS, [bool(t) for t in TREATED], [bool(c) for c in caught])
    influence = [
        (c - 1 / 2) / 6 if t else -(c - 1 / 6) / 6 for c, t in zip(caught, TREATED, strict=True)
    ]
    v_e = _one_way_by_hand(influence, EVALUATORS)
    v_i = _one_way_by_hand(influence, ITEMS)
    assert v_e == pytest.approx(1 / 36) and v_i < v_e
    assert v_e + v_i - _one_way_by_hand(influence, list(range(12))) < 0
    assert standard_errors(o)[0] == pytest.approx(1 / 6)
    effect = cluster_robust(o)
    t = 4.302652729911275  # t(0.975) on 2 degrees of freedom
    assert effect.difference_ci == Interval(
        pytest.approx(1 / 3 - t / 6), pytest.approx(min(1.0, 1 / 3 + t / 6))
    )


def test_a_positive_two_way_variance_is_used_as_it_is() -> None:
    """The first hand case: there V_evaluator + V_item − V_judgment is positive and is the
    variance, smaller than the larger one-way variance the fallback would take."""
    o = Outcomes.of(EVALUATORS, ITEMS, [bool(t) for t in TREATED], [bool(c) for c in CAUGHT])
    p1, p0 = 5 / 6, 2 / 6
    influence = [(c - p1) / 6 if t else -(c - p0) / 6 for c, t in zip(CAUGHT, TREATED, strict=True)]
    v_e, v_i = _one_way_by_hand(influence, EVALUATORS), _one_way_by_hand(influence, ITEMS)
    v = v_e + v_i - _one_way_by_hand(influence, list(range(12)))
    assert 0 < v < max(v_e, v_i)
    assert standard_errors(o)[0] == pytest.approx(math.sqrt(v))
