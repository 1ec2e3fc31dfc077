"""Thinning of automatic backups, on made-up moments (no files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from evalstudio.core.backup_policy import RECENT, to_keep

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_newest_are_kept_then_one_a_day_then_one_a_week() -> None:
    every_half_hour = [NOW - timedelta(minutes=30 * n) for n in range(48)]  # the last day
    daily = [NOW - timedelta(days=d, hours=1) for d in range(2, 7)]
    weekly = [NOW - timedelta(weeks=w) for w in range(2, 8)]
    ancient = [NOW - timedelta(weeks=20)]
    keep = to_keep(every_half_hour + daily + weekly + ancient, NOW)
    assert set(every_half_hour[:RECENT]) <= keep  # the newest twelve
    assert set(daily) <= keep  # the only one of its day
    assert set(weekly) <= keep  # the only one of its week
    assert ancient[0] not in keep  # older than two months, and not among the newest
    assert len([m for m in keep if NOW - m < timedelta(days=1)]) <= RECENT + 2


@given(st.lists(st.integers(min_value=0, max_value=60 * 24 * 120), max_size=200))
def test_thinning_keeps_the_newest_and_is_stable(minutes_ago: list[int]) -> None:
    taken = [NOW - timedelta(minutes=m) for m in minutes_ago]
    keep = to_keep(taken, NOW)
    assert keep <= set(taken)
    if taken:
        assert max(taken) in keep  # the newest backup is never thinned away
    assert to_keep(keep, NOW) == keep  # thinning what was kept removes nothing more
