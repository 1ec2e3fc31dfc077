"""Where a critique point is in the candidate: from the excerpt it quotes, and the lines it names.

Models copy text far better than they count lines (the bundled one named lines 45-85 of a
12-line answer; a large one is often off by a few on long lines), so the quote decides:
found once or more, the point sits on the occurrence nearest the lines it named, and says so
when that is not where it named. Without a quote that is found, the named lines stand if the
candidate has them. A point with neither is unplaced: it is listed, never shaded, and cannot
become a flaw. For text, a found quote also gives the characters a flaw from the point marks.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.assistance import CritiquePoint
from evalstudio.core.model import LineRange, Span, inside

# A quote shorter than this (non-space characters) is found everywhere: `)` or `i`.
MIN_QUOTE = 3
# Occurrences weighed against the named lines: a quote found more often than this is weak
# evidence anyway, and a million-line candidate stays a few milliseconds.
MAX_OCCURRENCES = 1000
# The line numbers the model sees before each line ("12 | x = 1"), copied into a quote.
_NUMBER_PREFIX = re.compile(r"^[ \t]*\d{1,7}[ \t]*\|[ \t]?", re.MULTILINE)
_ELLIPSIS = re.compile(r"^(?:\.\.\.|…)+|(?:\.\.\.|…)+$")


class Placement(StrEnum):
    NAMED = "named"  # on the lines it named (its quote, if found, is there)
    SNAPPED = "snapped"  # moved to where its quote is (named elsewhere, or nowhere real)
    GENERAL = "general"  # names no lines and quotes nothing found: a remark on the whole
    UNPLACED = "unplaced"  # names lines the candidate does not have, quote not found


@dataclass(frozen=True)
class PlacedPoint:
    """A point and where it is shown: `lines` (None when general or unplaced) and, when its
    quote was found, the quote's characters in the candidate."""

    point: CritiquePoint
    placement: Placement
    lines: LineRange | None
    span: Span | None = None

    @property
    def can_be_flaw(self) -> bool:
        return self.placement is not Placement.UNPLACED


def place(point: CritiquePoint, candidate: str) -> PlacedPoint:
    named = point.lines if point.lines is not None and inside(point.lines, candidate) else None
    found = _on_lines(find_quote(point.quote, candidate), candidate)
    if found:
        span, at = min(found, key=lambda found: _distance(found[1], point.lines))
        if named is not None and named.overlaps(at):
            return PlacedPoint(point, Placement.NAMED, named, span)
        return PlacedPoint(point, Placement.SNAPPED, at, span)
    if named is not None:
        return PlacedPoint(point, Placement.NAMED, named)
    if point.lines is None:
        return PlacedPoint(point, Placement.GENERAL, None)
    return PlacedPoint(point, Placement.UNPLACED, None)


def find_quote(quote: str | None, candidate: str) -> list[Span]:
    """Every place the quote is in the candidate, whitespace runs matching any whitespace run
    (a model re-indents and joins lines), case-sensitively if it is found so, else not."""
    if quote is None:
        return []
    words = _ELLIPSIS.sub("", _NUMBER_PREFIX.sub("", quote).strip()).split()
    if sum(len(w) for w in words) < MIN_QUOTE:
        return []
    pattern = r"\s+".join(re.escape(w) for w in words)
    for flags in (0, re.IGNORECASE):
        matches = itertools.islice(re.finditer(pattern, candidate, flags), MAX_OCCURRENCES)
        spans = [Span(m.start(), m.end()) for m in matches]
        if spans:
            return spans
    return []


def _on_lines(spans: list[Span], candidate: str) -> list[tuple[Span, LineRange]]:
    """Each span (in order) with the 1-based lines it is on, counted in one pass."""
    found, line, position = [], 1, 0
    for span in spans:
        line += candidate.count("\n", position, span.start)
        position = span.start
        last = line + candidate.count("\n", span.start, span.end - 1)
        found.append((span, LineRange(line, last)))
    return found


def _distance(at: LineRange, named: LineRange | None) -> int:
    if named is None:
        return 0  # the first occurrence: min() keeps the earliest of equals
    if at.overlaps(named):
        return 0
    return min(abs(at.start - named.end), abs(named.start - at.end))
