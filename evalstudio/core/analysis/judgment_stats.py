"""Per-judgment statistics beyond detection: calibration of confidence, time on item, and
agreement between evaluators on the items they share."""

from __future__ import annotations

import math
from collections.abc import Sequence

import krippendorff
import numpy as np

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


def median_and_iqr(values: Sequence[float]) -> tuple[float, float] | None:
    """Median and interquartile range (Q3 − Q1), or None without values."""
    if not values:
        return None
    q1, median, q3 = np.percentile(np.array(values, dtype=float), [25, 50, 75])
    return float(median), float(q3 - q1)


def verdict_alpha(verdicts: Sequence[tuple[str, str, bool]]) -> float | None:
    """Krippendorff's alpha (nominal) of (evaluator, item, said flawed) over items judged by
    two or more evaluators; None when no item is shared or all verdicts agree trivially."""
    per_item: dict[str, int] = {}
    for _, item, _ in verdicts:
        per_item[item] = per_item.get(item, 0) + 1
    shared = sorted(item for item, count in per_item.items() if count >= 2)
    if not shared:
        return None
    evaluators = sorted({e for e, item, _ in verdicts if item in per_item})
    column = {item: i for i, item in enumerate(shared)}
    row = {e: i for i, e in enumerate(evaluators)}
    data = np.full((len(evaluators), len(shared)), np.nan)
    for evaluator, item, flawed in verdicts:
        if item in column:
            data[row[evaluator], column[item]] = float(flawed)
    values = data[~np.isnan(data)]
    if values.size == 0 or np.all(values == values[0]):
        return None  # no variation: alpha is undefined
    alpha = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    return alpha if math.isfinite(alpha) else None
