"""Counts read as English: one item, two items; a rate never '1 tokens/s'."""

from __future__ import annotations

from evalstudio.core.plurals import counted, per_second


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert counted(1, "item") == "1 item"
    assert counted(0, "item") == "0 items"
    assert counted(2, "item") == "2 items"
    assert counted(12345, "pair") == "12345 pairs"
    assert counted(3, "entry", "entries") == "3 entries"


def test_a_rate_is_whole_from_ten_and_in_tenths_below() -> None:
    assert per_second(0.0, "token") == ""  # none yet: two tokens make a rate
    assert per_second(1.04, "token") == "1.0 tokens/s"
    assert per_second(9.96, "token") == "10.0 tokens/s"
    assert per_second(10.4, "token") == "10 tokens/s"
    assert per_second(57.6, "token") == "58 tokens/s"
