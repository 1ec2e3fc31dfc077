"""Percentages for people: a whole percent without decimals, anything else with one."""

from __future__ import annotations

import pytest

from evalstudio.core.percent import percent


@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (0.27, "27%"),
        (0.27 * 1.5, "40.5%"),  # a study's 1.5× target: not "40%"
        (0.0, "0%"),
        (1.0, "100%"),
        (0.147, "14.7%"),
        (0.2396, "24%"),  # one decimal at most: 23.96 rounds to a whole percent
        (0.004, "0.4%"),
    ],
)
def test_a_share_shows_one_decimal_only_when_it_is_not_a_whole_percent(
    share: float, shown: str
) -> None:
    assert percent(share) == shown
