"""95% intervals of simple summaries: a share of successes (Wilson score) and a mean over
independent units (Student's t). Both come from scipy; None where no interval is possible."""

from __future__ import annotations

from collections.abc import Sequence

from scipy import stats

from evalstudio.core.analysis.effect import Interval


def share(successes: int, n: int, level: float = 0.95) -> Interval | None:
    """Wilson score interval of successes/n: sensible at 0 and n successes and small n, where
    a normal interval collapses to a point. None without anything counted."""
    if n <= 0:
        return None
    ci = stats.binomtest(successes, n).proportion_ci(level, method="wilson")
    return Interval(float(ci.low), float(ci.high))


def mean(
    values: Sequence[float], level: float = 0.95, bounds: tuple[float, float] | None = None
) -> Interval | None:
    """t interval of the mean, cut to `bounds` (the values' possible range: with few values
    the t interval of a share reaches far past 0 and 1); None with fewer than two values or
    when they are all equal (no spread to estimate)."""
    if len(values) < 2 or len(set(values)) < 2:
        return None
    low, high = stats.ttest_1samp(values, 0.0).confidence_interval(level)
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(float(low), float(high))
