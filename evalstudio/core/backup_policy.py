"""Which automatic backups of a workspace to keep: every one of the last day (up to a limit),
then the newest of each day for a week, then the newest of each week for two months — and,
whatever its age, the newest good one. Pure, so the thinning is tested without files."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

RECENT = 12  # the newest backups, kept whatever their age
DAILY = timedelta(days=7)
WEEKLY = timedelta(weeks=8)


def to_keep(
    taken: Iterable[datetime], now: datetime, newest_good: datetime | None = None
) -> set[datetime]:
    """The backups (by the moment each was taken) to keep at `now`; the others may go.
    `newest_good`, the newest backup of an intact workspace, is kept even when backups of a
    damaged one have crowded it out of every other rule."""
    newest_first = sorted(set(taken), reverse=True)
    keep = set(newest_first[:RECENT])
    if newest_good is not None:
        keep.add(newest_good)
    days: set[object] = set()
    weeks: set[object] = set()
    for moment in newest_first:
        age = now - moment
        if age <= DAILY and moment.date() not in days:
            days.add(moment.date())
            keep.add(moment)
        week = moment.isocalendar()[:2]
        if age <= WEEKLY and week not in weeks:
            weeks.add(week)
            keep.add(moment)
    return keep
