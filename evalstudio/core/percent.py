"""A share as a percentage for people: whole when it is a whole percent, else one decimal."""

from __future__ import annotations


def percent(share: float) -> str:
    """0.27 as "27%", 0.405 as "40.5%": a study's 1.5× target of 27% is 40.5%, and "40%"
    (the `:.0%` spec) names a different target. Rounded to one decimal: 0.2396 is "24%"."""
    return f"{share:.1%}".replace(".0%", "%")
