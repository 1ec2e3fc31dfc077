"""A stored timestamp (UTC, ISO 8601) as people read it: local time, with the date when it is
not today."""

from __future__ import annotations

from datetime import datetime


def local_time(iso: str, today: datetime | None = None) -> str:
    """'17:40' today, '6 Dec 17:40' this year, '6 Dec 2025 17:40' before; the text as it is
    when it is not a timestamp."""
    try:
        at = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    today = today or datetime.now().astimezone()
    if at.date() == today.date():
        return f"{at:%H:%M}"
    if at.year == today.year:
        return f"{at.day} {at:%b %H:%M}"
    return f"{at.day} {at:%b %Y %H:%M}"
