"""Scoring a judgment against ground truth: catch, verdict-only hit, miss, false alarm, and the
reported flaws that match nothing planted. The rules are in docs/scoring.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.model import PlantedFlaw, Truth, Verdict
from evalstudio.core.review import ReportedFlaw


class Score(StrEnum):
    CATCH = "catch"  # flawed twin, verdict flawed, a reported flaw at the planted place
    VERDICT_ONLY = "verdict_only"  # flawed twin, verdict flawed, no flaw at the planted place
    MISS = "miss"  # flawed twin, verdict acceptable
    FALSE_ALARM = "false_alarm"  # correct twin, verdict flawed
    CORRECT_PASS = "correct_pass"  # correct twin, verdict acceptable
    UNSCORED = "unscored"  # no ground truth, or no verdict (a skip)


@dataclass(frozen=True)
class Scored:
    score: Score
    unplanted: tuple[ReportedFlaw, ...]  # for the owner to review: real or not


def matches(flaw: ReportedFlaw, planted: PlantedFlaw) -> bool:
    """A reported flaw is at the planted place when their line ranges overlap (code) or their
    character spans overlap (text); a reported flaw without a place matches nothing."""
    if flaw.lines is not None and planted.lines is not None:
        return flaw.lines.overlaps(planted.lines)
    if flaw.span is not None and planted.span is not None:
        return flaw.span.start < planted.span.end and planted.span.start < flaw.span.end
    return False


def score(
    verdict: Verdict | None,
    flaws: tuple[ReportedFlaw, ...],
    truth: Truth | None,
    planted: PlantedFlaw | None,
) -> Scored:
    """Score one final judgment. On a correct twin every reported flaw is unplanted."""
    if truth is None or verdict is None:
        return Scored(Score.UNSCORED, ())
    if truth is Truth.CORRECT:
        outcome = Score.FALSE_ALARM if verdict is Verdict.FLAWED else Score.CORRECT_PASS
        return Scored(outcome, flaws)
    at_plant = tuple(f for f in flaws if planted is not None and matches(f, planted))
    unplanted = tuple(f for f in flaws if f not in at_plant)
    if verdict is Verdict.ACCEPTABLE:
        return Scored(Score.MISS, unplanted)
    return Scored(Score.CATCH if at_plant else Score.VERDICT_ONLY, unplanted)
