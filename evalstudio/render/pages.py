"""A render in pages, for a view to take in one at a time, and the deadline a render keeps.

Qt takes in HTML in one piece on the GUI thread: a million numbered lines took it 20 s, during
which the window was frozen. In pages of PAGE_LINES lines, one event-loop turn each, it stays
responsive. Plain text is cheaper for Qt than HTML (some 6 µs a line against 30): what is
shown unformatted comes as text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

PAGE_LINES = 100
# Characters one whole-text operation (a regex, a split) takes at a time: a render holds
# Python's lock through each, and the window waits for it (a 2 MB split took 60 ms).
CHUNK = 100_000


class TooSlow(Exception):
    """A render's deadline passed: the text is shown unformatted instead."""


def past(deadline: float | None) -> None:
    """Raise TooSlow once `deadline` (a time.monotonic() value) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise TooSlow


@dataclass(frozen=True)
class Pages:
    """HTML pages (each whole blocks), then plain text pages in a fixed-width font, each after
    the first beginning with a line end; `wrap`: the text's lines are wrapped."""

    html: list[str]
    text: list[str] = field(default_factory=list)
    wrap: bool = True


def chunks(text: str) -> Iterator[str]:
    """`text` in pieces of about CHUNK characters, each but the last ending in a line end."""
    start = 0
    while (cut := text.find("\n", start + CHUNK)) >= 0:
        yield text[start : cut + 1]
        start = cut + 1
    yield text[start:]


def split_lines(text: str, within: Callable[[str], str]) -> list[str]:
    """within(text).split("\\n"), a chunk at a time, for a `within` that acts inside lines."""
    lines = [""]
    for chunk in chunks(text):
        first, *rest = within(chunk).split("\n")
        lines[-1] += first
        lines += rest
    return lines


def text_pages(text: str, within: Callable[[str], str]) -> list[str]:
    """The lines of within(text) (a `within` that acts inside lines) in pages of PAGE_LINES,
    the line end between two pages beginning the second; made a chunk at a time: a list of a
    million lines, freed in one go as a render returns, would hold the window 50 ms."""
    pages: list[str] = []
    page: list[str] = []
    pieces = list(chunks(text))
    for at, chunk in enumerate(pieces, start=1):
        lines = within(chunk).split("\n")
        for line in lines if at == len(pieces) else lines[:-1]:  # a last "": the next's start
            page.append(line)
            if len(page) == PAGE_LINES:
                pages.append(("\n" if pages else "") + "\n".join(page))
                page = []
    if page:
        pages.append(("\n" if pages else "") + "\n".join(page))
    return pages
