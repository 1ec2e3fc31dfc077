"""Simulated studies with a known truth: evaluators catch planted flaws with probabilities from
a logistic model with evaluator and item random effects (STUDY.md), assigned by the real plan.

The intercepts are chosen so that the *marginal* detection rates (averaged over evaluators and
items) are the ones asked for; those are the true D and R an interval should cover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from evalstudio.core.analysis.effect import Outcomes, cluster_robust
from evalstudio.core.plan import Design, PairUnit, make_plan
from evalstudio.core.review import Condition

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(60)  # ∫ f(z) φ(z) dz, probabilists'


@dataclass(frozen=True)
class Scenario:
    evaluators: int
    pairs: int
    control_rate: float = 0.27
    treated_rate: float = 0.45
    evaluator_sd: float = 0.5
    item_sd: float = 1.0
    # The plan's shape: which conditions it deals out (only unassisted and assisted judgments
    # enter the comparison) and how many evaluators judge each pair (None: all).
    conditions: tuple[Condition, ...] = (Condition.UNASSISTED, Condition.ASSISTED)
    judgments_per_pair: int | None = None

    @property
    def true_difference(self) -> float:
        return self.treated_rate - self.control_rate

    @property
    def true_ratio(self) -> float:
        return self.treated_rate / self.control_rate


def intercept(marginal: float, sd: float) -> float:
    """The logit intercept whose marginal rate over N(0, sd²) random effects is `marginal`."""
    # 0 and 1 have no finite intercept (a study file may assume a 0% detection rate); a rate
    # within 1e-6 of them has one inside the bracket for any sd below 3.5.
    marginal = min(max(marginal, 1e-6), 1 - 1e-6)

    def gap(b: float) -> float:
        mean = float(np.sum(_WEIGHTS * special.expit(b + sd * _NODES)) / math.sqrt(2 * math.pi))
        return mean - marginal

    return float(optimize.brentq(gap, -20, 20))


def simulate(scenario: Scenario, seed: int) -> Outcomes:
    """One study: the flawed-twin judgments, unassisted and assisted, of the real plan."""
    rng = np.random.default_rng(seed)
    total_sd = math.hypot(scenario.evaluator_sd, scenario.item_sd)
    b0 = intercept(scenario.control_rate, total_sd)
    b1 = intercept(scenario.treated_rate, total_sd)
    design = Design(
        evaluators=tuple(f"e{i}" for i in range(scenario.evaluators)),
        pairs=tuple(PairUnit(f"p{i}", f"c{i}", f"f{i}") for i in range(scenario.pairs)),
        conditions=scenario.conditions,
        seed=str(seed),
        judgments_per_pair=scenario.judgments_per_pair,
    )
    u = rng.normal(0, scenario.evaluator_sd, scenario.evaluators)
    v = rng.normal(0, scenario.item_sd, scenario.pairs)
    compared = (Condition.UNASSISTED, Condition.ASSISTED)
    flawed = [a for a in make_plan(design) if a.twin_flawed and a.condition in compared]
    # Typed: a plan may deal no flawed twin in the compared conditions (1 pair, 1 judgment).
    evaluator = np.array([int(a.evaluator[1:]) for a in flawed], dtype=np.int64)
    item = np.array([int(a.item[1:]) for a in flawed], dtype=np.int64)
    treated = np.array([a.condition is Condition.ASSISTED for a in flawed], dtype=bool)
    logit = np.where(treated, b1, b0) + u[evaluator] + v[item]
    caught = rng.random(len(flawed)) < special.expit(logit)
    # Numbered as the report numbers them (Outcomes.of): evaluators and items the compared
    # conditions never reach are not clusters of this comparison.
    return Outcomes.of(
        [a.evaluator for a in flawed], [a.item for a in flawed], treated.tolist(), caught.tolist()
    )


@dataclass(frozen=True)
class SimulationReport:
    studies: int
    power: float  # share of studies whose interval for D excludes 0
    coverage: float  # share whose interval for D covers the true D
    median_ratio: float


def simulated_power(scenario: Scenario, studies: int = 500, seed: int = 0) -> SimulationReport:
    """Power of a planned design by simulation, with the report's default interval."""
    detected = covered = 0
    ratios = []
    for n in range(studies):
        effect = cluster_robust(simulate(scenario, seed + n))
        interval = effect.difference_ci
        if interval is not None:
            detected += not interval.covers(0.0)
            covered += interval.covers(scenario.true_difference)
        ratios.append(effect.ratio)
    return SimulationReport(
        studies, detected / studies, covered / studies, float(np.median(ratios))
    )
