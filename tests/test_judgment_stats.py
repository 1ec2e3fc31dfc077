"""Calibration, time and agreement, on cases worked by hand."""

from __future__ import annotations

import pytest

from evalstudio.core.analysis.judgment_stats import (
    brier,
    confidence_probability,
    median_and_iqr,
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
