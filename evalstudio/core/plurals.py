"""A count with its noun in the right number: '1 item', '2 items', '0 items', '1 token/s'."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str = "") -> str:
    """`n` and the noun, singular for exactly one; `plural` defaults to `singular` + 's'."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def per_second(rate: float, singular: str) -> str:
    """A rate as shown while it streams: whole numbers from 10 up ('12 tokens/s'), tenths
    below ('2.5 tokens/s', where a whole '1' would read as '1 tokens/s'); '' for none yet."""
    if rate <= 0:
        return ""
    if rate >= 10:
        return counted(round(rate), singular) + "/s"
    return f"{rate:.1f} {singular}s/s"
