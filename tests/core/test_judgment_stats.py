"""Calibration, time and agreement, on cases worked by hand."""

from __future__ import annotations

import pytest
from scipy.stats import norm

from evalstudio.core.analysis.judgment_stats import (
    brier,
    confidence_probability,
    d_prime,
    median_and_iqr,
    rating_alpha,
    reliability,
    spread,
    verdict_alpha,
)


def test_confidence_1_to_5_reads_as_50_to_100_percent() -> None:
    assert [confidence_probability(c) for c in range(1, 6)] == [0.5, 0.625, 0.75, 0.875, 1.0]


def test_brier_is_the_mean_squared_gap_between_confidence_and_being_right() -> None:
    # certain and right: 0; certain and wrong: 1; guessing either way: 0.25
    assert brier([5, 5, 1, 1], [True, False, True, False]) == pytest.approx(
        (0 + 1 + 0.25 + 0.25) / 4
    )
    assert brier([], []) is None


def test_median_and_iqr() -> None:
    assert median_and_iqr([1, 2, 3, 4, 5]) == (3.0, 2.0)
    assert median_and_iqr([]) is None


def test_krippendorff_alpha_of_verdicts_matches_the_coincidence_matrix_by_hand() -> None:
    # Two evaluators, four shared items: A says 1,1,0,0 and B says 1,1,0,1 (1 = flawed).
    # o11 = 4, o00 = 2, o01 = o10 = 1; n0 = 3, n1 = 5, n = 8:
    # alpha = 1 - (n - 1) * (o01 + o10) / (2 * n0 * n1) = 1 - 7 * 2 / 30.
    verdicts = [
        ("A", "i1", True), ("A", "i2", True), ("A", "i3", False), ("A", "i4", False),
        ("B", "i1", True), ("B", "i2", True), ("B", "i3", False), ("B", "i4", True),
        ("C", "i9", True),  # an item nobody else judged: not shared, left out
    ]  # fmt: skip
    assert verdict_alpha(verdicts) == pytest.approx(1 - 14 / 30)


def test_alpha_is_undefined_without_shared_items_or_without_variation() -> None:
    assert verdict_alpha([("A", "i1", True), ("B", "i2", False)]) is None
    assert verdict_alpha([("A", "i1", True), ("B", "i1", True)]) is None


def test_ordinal_alpha_of_ratings_weighs_near_disagreements_less_than_far_ones() -> None:
    near = [("A", "i1", 6), ("B", "i1", 7), ("A", "i2", 2), ("B", "i2", 2), ("A", "i3", 4)]
    far = [("A", "i1", 1), ("B", "i1", 7), ("A", "i2", 2), ("B", "i2", 2), ("A", "i3", 4)]
    assert rating_alpha(near) is not None and rating_alpha(far) is not None
    assert rating_alpha(near) > rating_alpha(far)  # type: ignore[operator]
    # Two items rated (1, 1) and (2, 3): values 1 (n=2), 2 (n=1), 3 (n=1), n = 4. Ordinal
    # distance δ²(c, k) = (n_c + … + n_k − (n_c + n_k) / 2)²: δ²(1,2) = 2.25, δ²(1,3) = 6.25,
    # δ²(2,3) = 1. D_o = (o23 + o32) · 1 / n = 0.5; D_e = 2 (2·2.25 + 2·6.25 + 1) / (n (n − 1))
    # = 3; alpha = 1 − D_o / D_e.
    ratings = [("A", "x", 1), ("B", "x", 1), ("A", "y", 2), ("B", "y", 3)]
    assert rating_alpha(ratings) == pytest.approx(1 - 0.5 / 3)


def test_reliability_curve_is_the_share_right_at_each_confidence_level() -> None:
    curve = reliability([5, 5, 5, 5, 3, 3, 1], [True, True, True, False, True, False, False])
    assert curve == [(1, 1, 0.0), (3, 2, 0.5), (5, 4, 0.75)]


def test_d_prime_with_the_log_linear_correction_by_hand() -> None:
    # hits 8 of 10 → (8.5 / 11); false alarms 1 of 10 → (1.5 / 11).
    expected = norm.ppf(8.5 / 11) - norm.ppf(1.5 / 11)
    assert d_prime(8, 10, 1, 10) == pytest.approx(expected)
    assert d_prime(10, 10, 0, 10) is not None  # perfect: still finite
    assert d_prime(3, 0, 1, 4) is None


def test_spread_is_the_box_plot_percentiles() -> None:
    assert spread(list(range(101))) == (5.0, 25.0, 50.0, 75.0, 95.0)
    assert spread([]) is None
