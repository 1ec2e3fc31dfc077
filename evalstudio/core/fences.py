"""A Markdown code fence that the text it holds cannot close: longer than any run of
backticks in the text."""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")


def fenced(text: str) -> str:
    """`text` as a fenced block: a line in it can never end the block early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}\n{body}{fence}"
