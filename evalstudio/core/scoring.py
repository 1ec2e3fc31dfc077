"""Scoring a judgment against ground truth: catch, verdict-only hit, miss, false alarm, and the
reported flaws that match nothing planted. The rules are in docs/scoring.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.assistance import Critique, CritiquePoint
from evalstudio.core.model import PlantedFlaw, Truth, Verdict
from evalstudio.core.review import ReportedFlaw, outside


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
    unplanted: tuple[int, ...]  # positions of reported flaws away from the plant: real or not?
    # Positions of flaws placed outside the candidate (stored before submit refused them):
    # neither at the plant nor unplanted; listed for the owner, counted nowhere.
    outside: tuple[int, ...] = ()


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
    candidate: str | None = None,
) -> Scored:
    """Score one final judgment. On a correct twin every reported flaw is unplanted; given the
    `candidate`, one placed outside it is neither."""
    if truth is None or verdict is None:
        return Scored(Score.UNSCORED, ())
    away = tuple(i for i, f in enumerate(flaws) if candidate is not None and outside(f, candidate))
    placed = [(i, f) for i, f in enumerate(flaws) if i not in away]
    if truth is Truth.CORRECT:
        outcome = Score.FALSE_ALARM if verdict is Verdict.FLAWED else Score.CORRECT_PASS
        return Scored(outcome, tuple(i for i, _ in placed), away)
    unplanted = tuple(i for i, f in placed if planted is None or not matches(f, planted))
    if verdict is Verdict.ACCEPTABLE:
        return Scored(Score.MISS, unplanted, away)
    caught = len(unplanted) < len(placed)
    return Scored(Score.CATCH if caught else Score.VERDICT_ONLY, unplanted, away)


def point_at_plant(point: CritiquePoint, planted: PlantedFlaw) -> bool:
    """A critique point is at the planted flaw when its lines overlap the planted lines (the
    catch rule; critique points carry lines only, so a text passage is never pointed at)."""
    return matches(ReportedFlaw(point.severity, point.claim, lines=point.lines), planted)


def critique_right(critique: Critique, truth: Truth, planted: PlantedFlaw | None) -> bool:
    """Whether a critique was right about the item: its verdict matches the truth and, on a
    flawed twin whose plant has lines, one of its points is at them (a "flawed" said for the
    wrong reason is not right). Text plants are judged by the verdict alone."""
    if truth is Truth.CORRECT:
        return critique.verdict is Verdict.ACCEPTABLE
    if critique.verdict is not Verdict.FLAWED:
        return False
    if planted is None or planted.lines is None:
        return True
    return any(point_at_plant(p, planted) for p in critique.points)
