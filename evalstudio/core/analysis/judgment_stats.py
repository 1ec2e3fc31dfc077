"""Per-judgment statistics beyond detection: sensitivity as d′, calibration of confidence, time
on item, and agreement between evaluators on the items they share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import krippendorff
import numpy as np
from scipy.stats import norm

from evalstudio.core.review import CONFIDENCE_RANGE


def confidence_probability(confidence: int) -> float:
    """The form's 1-5 as a probability of being right: 1 "guessing" = 0.5 … 5 "certain" = 1."""
    low, high = CONFIDENCE_RANGE[0], CONFIDENCE_RANGE[-1]
    return 0.5 + 0.5 * (confidence - low) / (high - low)


def brier(confidences: Sequence[int], right: Sequence[bool]) -> float | None:
    """Mean squared gap between stated confidence and being right (0 is perfect)."""
    if not confidences:
        return None
    p = np.array([confidence_probability(c) for c in confidences])
    return float(np.mean((p - np.array(right, dtype=float)) ** 2))


def reliability(confidences: Sequence[int], right: Sequence[bool]) -> list[tuple[int, int, float]]:
    """The reliability curve: (confidence level, judgments at it, share right) for each level
    used; a calibrated evaluator is right as often as the level's probability says."""
    levels: dict[int, list[bool]] = {}
    for confidence, was_right in zip(confidences, right, strict=True):
        levels.setdefault(confidence, []).append(was_right)
    return [(c, len(levels[c]), sum(levels[c]) / len(levels[c])) for c in sorted(levels)]


def d_prime(hits: int, signals: int, false_alarms: int, noises: int) -> float | None:
    """Sensitivity d′ = z(hit rate) − z(false-alarm rate), with the log-linear correction
    (add 0.5 to each count, 1 to each total; Hautus 1995) so 0% and 100% stay finite."""
    if not signals or not noises:
        return None
    hit_rate = (hits + 0.5) / (signals + 1)
    alarm_rate = (false_alarms + 0.5) / (noises + 1)
    return float(norm.ppf(hit_rate) - norm.ppf(alarm_rate))


def spread(values: Sequence[float]) -> tuple[float, float, float, float, float] | None:
    """5th, 25th, 50th, 75th and 95th percentiles: a box plot's box and whiskers."""
    if not values:
        return None
    found = np.percentile(np.array(values, dtype=float), [5, 25, 50, 75, 95])
    p5, q1, median, q3, p95 = (float(v) for v in found)
    return p5, q1, median, q3, p95


def median_and_iqr(values: Sequence[float]) -> tuple[float, float] | None:
    """Median and interquartile range (Q3 − Q1), or None without values."""
    if not values:
        return None
    q1, median, q3 = np.percentile(np.array(values, dtype=float), [25, 50, 75])
    return float(median), float(q3 - q1)


def verdict_alpha(verdicts: Sequence[tuple[str, str, bool]]) -> float | None:
    """Krippendorff's alpha (nominal) of (evaluator, item, said flawed) over items judged by
    two or more evaluators; None when no item is shared or all verdicts agree trivially."""
    return alpha([(e, i, float(v)) for e, i, v in verdicts], "nominal")


def rating_alpha(ratings: Sequence[tuple[str, str, int]]) -> float | None:
    """Krippendorff's alpha (ordinal) of (evaluator, item, quality 1-7) on shared items."""
    return alpha([(e, i, float(r)) for e, i, r in ratings], "ordinal")


def alpha(
    values: Sequence[tuple[str, str, float]], level: Literal["nominal", "ordinal"]
) -> float | None:
    """Krippendorff's alpha (`krippendorff` package) of (evaluator, item, value) on the items
    two or more evaluators rated; None without such an item or without any variation."""
    per_item: dict[str, int] = {}
    for _, item, _ in values:
        per_item[item] = per_item.get(item, 0) + 1
    shared = sorted(item for item, count in per_item.items() if count >= 2)
    if not shared:
        return None
    evaluators = sorted({e for e, item, _ in values if item in per_item})
    column = {item: i for i, item in enumerate(shared)}
    row = {e: i for i, e in enumerate(evaluators)}
    data = np.full((len(evaluators), len(shared)), np.nan)
    for evaluator, item, value in values:
        if item in column:
            data[row[evaluator], column[item]] = value
    present = data[~np.isnan(data)]
    if present.size == 0 or np.all(present == present[0]):
        return None  # no variation: alpha is undefined
    found = float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    return found if math.isfinite(found) else None
