"""A count with its noun in the right number: '1 item', '2 items', '0 items'."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str = "") -> str:
    """`n` and the noun, singular for exactly one; `plural` defaults to `singular` + 's'
    (a rate or a mean: round it first, as it is shown)."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
