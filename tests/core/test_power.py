"""Power before labeling (normal approximation) against STUDY.md's simulated figures."""

from __future__ import annotations

import pytest

from evalstudio.core.power import detectable_rate, estimate, power


@pytest.mark.parametrize(
    ("evaluators", "pairs", "simulated"), [(6, 20, 0.24), (12, 40, 0.82), (24, 80, 1.0)]
)
def test_the_approximation_is_near_the_simulated_power(
    evaluators: int, pairs: int, simulated: float
) -> None:
    found = estimate(evaluators, pairs, conditions=2, baseline=0.27, targets=(0.45,))
    assert found.power_at[0.45] == pytest.approx(simulated, abs=0.1)


def test_the_detectable_rate_has_the_asked_power_and_shrinks_with_more_judgments() -> None:
    small, large = detectable_rate(0.27, 30), detectable_rate(0.27, 480)
    assert small is not None and large is not None and large < small
    assert power(0.27, small, 30) == pytest.approx(0.8, abs=1e-6)


def test_a_study_too_small_to_detect_anything_says_so() -> None:
    assert detectable_rate(0.27, 1) is None
    assert estimate(1, 2, 3).detectable is None


def test_compared_pairs_count_every_judgment() -> None:
    """12 evaluators × 40 pairs over 2 conditions: 120 flawed-twin judgments per condition
    shown alone (half the pairs' items), 240 compared (each shows both twins). At 240, 55% →
    70%: se = √(.2475/240 + .21/240) = √0.00190625 = 0.043661; z = 0.15/0.043661 − 1.95996
    = 1.47563; Φ(1.47563) = 0.9300."""
    alone = estimate(12, 40, 2, baseline=0.55, targets=(0.7,))
    compared = estimate(12, 40, 2, baseline=0.55, targets=(0.7,), compared=True)
    assert (alone.flawed_per_condition, compared.flawed_per_condition) == (120, 240)
    assert compared.power_at[0.7] == pytest.approx(0.9300, abs=5e-4)
    assert compared.power_at[0.7] > alone.power_at[0.7]
    assert compared.detectable is not None and alone.detectable is not None
    assert compared.detectable < alone.detectable
