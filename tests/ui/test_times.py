"""Stored timestamps as people read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evalstudio.ui.times import local_time


def test_today_is_the_time_another_day_has_the_date_another_year_the_year() -> None:
    now = datetime(2026, 12, 6, 17, 40, tzinfo=UTC).astimezone()
    assert local_time(now.isoformat(), today=now) == now.strftime("%H:%M")
    earlier = now - timedelta(days=40)
    assert local_time(earlier.isoformat(), today=now) == f"{earlier.day} {earlier:%b %H:%M}"
    older = now - timedelta(days=400)
    assert local_time(older.isoformat(), today=now) == f"{older.day} {older:%b %Y %H:%M}"


def test_text_that_is_no_timestamp_is_shown_as_it_is() -> None:
    assert local_time("yesterday") == "yesterday"
