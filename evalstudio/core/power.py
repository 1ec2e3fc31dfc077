"""Power before labeling: the smallest rise in detection rate a planned study can detect.

A normal approximation for two independent proportions (docs/study-design.md): with n
judgments of flawed twins per condition, baseline detection p0, two-sided alpha 0.05 and power
0.8, the minimum detectable rate p1 solves |p1 - p0| = (z_a + z_b) · sqrt(v(p0)/n + v(p1)/n).
It ignores clustering by evaluator and item; on the designs STUDY.md simulated it lands within
a few points of the simulated power (6 × 20 pairs, 27% → 45%: 32% vs ~24%; 12 × 40: 84% vs
~82%). Study setup shows it next to the power of that very plan by simulation
(core/analysis/simulate.py), which accounts for both. For pairs shown as compare items the
same test applies to the share of comparisons picking the correct twin, with every judgment
of a pair counted (each shows the flawed twin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_Z = NormalDist()


@dataclass(frozen=True)
class PowerEstimate:
    flawed_per_condition: float  # judgments of flawed twins (alone or compared) per condition
    baseline: float
    detectable: float | None  # smallest detection rate detected with the power; None: none
    power_at: dict[float, float]  # power for a few target rates

    @property
    def difference(self) -> float | None:
        return None if self.detectable is None else self.detectable - self.baseline


def power(p0: float, p1: float, n: float, alpha: float = 0.05) -> float:
    """Power of a two-sided test of p1 against p0 with n judgments per condition."""
    if n <= 0:
        return 0.0
    se = math.sqrt(p0 * (1 - p0) / n + p1 * (1 - p1) / n)
    if se == 0:
        return 1.0 if p0 != p1 else 0.0
    z = _Z.inv_cdf(1 - alpha / 2)
    return _Z.cdf(abs(p1 - p0) / se - z)


def detectable_rate(p0: float, n: float, target: float = 0.8) -> float | None:
    """The smallest p1 > p0 detected with `target` power, or None if even 100% is not."""
    if power(p0, 1.0, n) < target:
        return None
    low, high = p0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if power(p0, mid, n) >= target:
            high = mid
        else:
            low = mid
    return high


def estimate(
    evaluators: int,
    pairs_per_evaluator: float,
    conditions: int,
    baseline: float = 0.27,
    targets: tuple[float, ...] = (0.45,),
    compared: bool = False,
) -> PowerEstimate:
    """Power of a planned design: each evaluator sees half their pairs' flawed twins, spread
    evenly over the conditions, and one condition is compared with another. `compared`: the
    pairs are shown as compare items (both twins at once), so every judgment of a pair has a
    right answer — twice the judgments, and the rate is the share picking the correct twin."""
    n = evaluators * pairs_per_evaluator / (1 if compared else 2) / max(conditions, 1)
    return PowerEstimate(
        flawed_per_condition=n,
        baseline=baseline,
        detectable=detectable_rate(baseline, n),
        power_at={t: power(baseline, t, n) for t in targets},
    )
