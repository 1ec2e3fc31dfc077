"""Suspicion: the model's yes/no doubt about each line (code) or sentence (text) of a candidate.

Pure parts only: the units scored, a unit's score from the two log-probabilities, the top
units, the misleading manipulation of the scores, the logged JSON, and the line-level AUC of
scores against the planted lines (for the bench and an "assistant quality" view).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from evalstudio.core.assistance import Manipulation
from evalstudio.core.misleading import MisleadingPlan

TOP = 3  # units listed in the panel
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Unit:
    """One scored unit: a line of code or a sentence of text. `line` is 1-based; `start`/`end`
    are character offsets in the candidate."""

    index: int
    line: int
    start: int
    end: int
    text: str


def code_units(candidate: str) -> list[Unit]:
    """Every non-blank line (a blank line holds no bug)."""
    units: list[Unit] = []
    offset = 0
    for number, line in enumerate(candidate.split("\n"), start=1):
        if line.strip():
            units.append(Unit(len(units), number, offset, offset + len(line), line))
        offset += len(line) + 1
    return units


def text_units(candidate: str) -> list[Unit]:
    """Sentences: split after . ! ? followed by white space, per line."""
    units: list[Unit] = []
    offset = 0
    for number, line in enumerate(candidate.split("\n"), start=1):
        at = 0
        for piece in _SENTENCE_END.split(line):
            begin = line.find(piece, at)
            at = begin + len(piece)
            if piece.strip():
                units.append(Unit(len(units), number, offset + begin, offset + at, piece))
        offset += len(line) + 1
    return units


def p_yes(yes: float, no: float) -> float:
    """P(Yes) among Yes and No, from their log-probabilities. Raises ValueError on a value
    that is not a log-probability, or when neither option has any probability."""
    for value in (yes, no):
        if not isinstance(value, float | int) or math.isnan(value) or value > 0:
            raise ValueError(f"{value!r} is not a log-probability")
    if yes == -math.inf and no == -math.inf:
        raise ValueError("neither Yes nor No has any probability")
    top = max(yes, no)
    a, b = math.exp(yes - top), math.exp(no - top)
    return a / (a + b)


def top_units(scores: Sequence[float], k: int = TOP) -> list[int]:
    """Indices of the k highest scores, highest first (ties: the earlier unit)."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]


def manipulate(
    scores: Sequence[float], units: Sequence[Unit], plan: MisleadingPlan, planted: set[int]
) -> list[float]:
    """The scores the misleading assistant shows. FLAG: the unit on `plan.flag_line` becomes
    the top one. PASS: the units on the planted lines drop below every other unit, so none
    of them is among the top. Other scores are kept."""
    shown = list(scores)
    if plan.manipulation is Manipulation.FLAG and plan.flag_line is not None:
        on_flag = [u.index for u in units if u.line == plan.flag_line]
        if on_flag:
            peak = max(shown, default=0.0)
            for i in on_flag:
                shown[i] = min(1.0, max(peak + 0.05, 0.9))
            others = [i for i in range(len(shown)) if i not in on_flag]
            ceiling = min(shown[i] for i in on_flag) - 0.05
            for i in others:
                shown[i] = min(shown[i], ceiling)
    elif plan.manipulation is Manipulation.PASS:
        flawed = [u.index for u in units if u.line in planted]
        rest = [shown[i] for i in range(len(shown)) if i not in flawed]
        floor = min(rest, default=0.1)
        for i in flawed:
            shown[i] = max(0.0, min(shown[i], floor * 0.5))
    return shown


def to_json(units: Sequence[Unit], scores: Sequence[float]) -> str:
    """The logged response: one object per unit scored so far."""
    return json.dumps(
        [
            {"line": u.line, "start": u.start, "end": u.end, "p_yes": round(s, 6)}
            for u, s in zip(units, scores, strict=False)
        ]
    )


@dataclass(frozen=True)
class Scored:
    """The scores an evaluator is shown on an item (manipulated or not): units in order, each
    with its P(Yes). Read back from a logged response to show it again without re-scoring."""

    units: tuple[Unit, ...]
    scores: tuple[float, ...]


def from_json(response: str, candidate: str) -> Scored:
    """The logged response (`to_json`) read back against the candidate. The row may come from
    a session package or a damaged file: an entry that does not fit the candidate (offsets
    past its end, a line it lacks, a score outside [0, 1]) is left out, never raised."""
    try:
        rows = json.loads(response)
    except (ValueError, TypeError):
        return Scored((), ())
    if not isinstance(rows, list):
        return Scored((), ())
    last_line = candidate.count("\n") + 1
    units: list[Unit] = []
    scores: list[float] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        line, start, end, score = (
            row.get("line"),
            row.get("start"),
            row.get("end"),
            row.get("p_yes"),
        )
        if not (_whole(line) and _whole(start) and _whole(end) and _number(score)):
            continue
        if not (1 <= line <= last_line and 0 <= start <= end <= len(candidate)):
            continue
        if not 0.0 <= score <= 1.0:  # also refuses NaN
            continue
        units.append(Unit(len(units), line, start, end, candidate[start:end]))
        scores.append(float(score))
    return Scored(tuple(units), tuple(scores))


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> TypeGuard[float | int]:
    return isinstance(value, float | int) and not isinstance(value, bool)


def line_auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Area under the ROC curve of `scores` for the units marked `positive` (the planted
    lines): the chance that a planted unit outscores an unplanted one, ties counting half.
    None when either class is empty."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))
