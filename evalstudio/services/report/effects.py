"""One effect of assistance as the report gives it: the two-way cluster-robust (CGM-t)
interval, the conservative two-way bootstrap, and the permutation p — for detection and for
comparisons of pairs alike (caught = picked the correct twin)."""

from __future__ import annotations

from dataclasses import dataclass

from evalstudio.core.analysis.effect import (
    Effect,
    Outcomes,
    cluster_robust,
    permutation_p,
    pigeonhole_bootstrap,
)
from evalstudio.core.review import Condition

PERMUTATIONS = 2000
RESAMPLES = 2000


@dataclass(frozen=True)
class EffectReport:
    treated: str
    control: str
    effect: Effect  # the default: two-way cluster-robust (CGM-t) intervals
    conservative: Effect  # the same D and R with two-way bootstrap intervals (wider)
    p_value: float


def effect_report(treated: Condition, outcomes: Outcomes, seed: int) -> EffectReport:
    """`treated` against unassisted, on the rows of both conditions."""
    return EffectReport(
        treated.value,
        Condition.UNASSISTED.value,
        cluster_robust(outcomes),
        pigeonhole_bootstrap(outcomes, RESAMPLES, seed),
        permutation_p(outcomes, PERMUTATIONS, seed),
    )
