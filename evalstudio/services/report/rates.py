"""The report's per-group rates: detection, false alarms, accuracy, d′, calibration, time, and
the unplanted flaws the evaluators reported (with the owner's review of them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from evalstudio.core.analysis.judgment_stats import (
    brier,
    confidence_probability,
    d_prime,
    median_and_iqr,
    reliability,
    spread,
)
from evalstudio.core.model import Truth, Verdict
from evalstudio.core.scoring import Score
from evalstudio.services.studies.scores import ScoredJudgment

Reviews = dict[tuple[str, int], bool]  # (judgment id, flaw position) → the owner said real


@dataclass(frozen=True)
class CalibrationLevel:
    """One point of the reliability curve: at this confidence, how often the verdict was right."""

    confidence: int
    stated: float  # the level read as a probability (1-5 as 50-100%)
    judged: int
    right_share: float


@dataclass(frozen=True)
class ConditionRates:
    judgments: int
    flawed_judged: int
    catches: int
    verdict_only: int
    detection_rate: float | None  # catches / flawed twins judged
    sensitivity: float | None  # verdict "flawed" on flawed twins (catches + verdict-only hits)
    correct_judged: int
    false_alarms: int
    false_alarm_rate: float | None
    specificity: float | None  # 1 − false-alarm rate
    d_prime: float | None  # z(sensitivity) − z(false-alarm rate), log-linear corrected
    accuracy: float | None  # right verdict (flawed on flawed twins, acceptable on correct)
    brier: float | None  # confidence (1-5 as 0.5-1.0) against being right; 0 is perfect
    calibration: list[CalibrationLevel]
    active_median_s: float | None  # active time on the item (idle minutes not counted)
    active_iqr_s: float | None
    active_spread_s: tuple[float, float, float, float, float] | None  # 5/25/50/75/95th pct
    unplanted_flaws: int  # reported flaws matching nothing planted
    unplanted_reviewed: int  # of those, reviewed by the owner
    unplanted_real: int  # of those, marked real by the owner


@dataclass(frozen=True)
class UnplantedItem:
    """The unplanted flaws reported on one item (candidate), all evaluators together."""

    item: str
    truth: str
    reported: int
    reviewed: int
    real: int


def said_flawed(s: ScoredJudgment) -> bool:
    return s.judgment.form.verdict is Verdict.FLAWED


def right(s: ScoredJudgment) -> bool:
    return said_flawed(s) is (s.truth is Truth.FLAWED)


def rates(judged: list[ScoredJudgment], reviews: Reviews) -> ConditionRates:
    counts = Counter(s.scored.score for s in judged)
    flawed = counts[Score.CATCH] + counts[Score.VERDICT_ONLY] + counts[Score.MISS]
    correct = counts[Score.FALSE_ALARM] + counts[Score.CORRECT_PASS]
    hits = counts[Score.CATCH] + counts[Score.VERDICT_ONLY]
    rated = [
        (s.judgment.form.confidence, right(s))
        for s in judged
        if s.truth is not None and s.judgment.form.confidence is not None
    ]
    times = [s.judgment.form.active_ms / 1000 for s in judged]
    middle = median_and_iqr(times)
    unplanted = [(s.judgment.id, p) for s in judged for p in s.scored.unplanted]
    reviewed = [reviews[key] for key in unplanted if key in reviews]
    alarm_rate = counts[Score.FALSE_ALARM] / correct if correct else None
    return ConditionRates(
        judgments=len(judged),
        flawed_judged=flawed,
        catches=counts[Score.CATCH],
        verdict_only=counts[Score.VERDICT_ONLY],
        detection_rate=counts[Score.CATCH] / flawed if flawed else None,
        sensitivity=hits / flawed if flawed else None,
        correct_judged=correct,
        false_alarms=counts[Score.FALSE_ALARM],
        false_alarm_rate=alarm_rate,
        specificity=1 - alarm_rate if alarm_rate is not None else None,
        d_prime=d_prime(hits, flawed, counts[Score.FALSE_ALARM], correct),
        accuracy=(hits + counts[Score.CORRECT_PASS]) / (flawed + correct)
        if flawed + correct
        else None,
        brier=brier([c for c, _ in rated], [r for _, r in rated]),
        calibration=[
            CalibrationLevel(c, confidence_probability(c), n, share)
            for c, n, share in reliability([c for c, _ in rated], [r for _, r in rated])
        ],
        active_median_s=middle[0] if middle else None,
        active_iqr_s=middle[1] if middle else None,
        active_spread_s=spread(times),
        unplanted_flaws=len(unplanted),
        unplanted_reviewed=len(reviewed),
        unplanted_real=sum(reviewed),
    )


def split(
    judged: list[ScoredJudgment], key: Callable[[ScoredJudgment], str], reviews: Reviews
) -> dict[str, ConditionRates]:
    """Rates per condition and `key`, as "<condition> / <key>"."""
    groups: dict[str, list[ScoredJudgment]] = {}
    for s in judged:
        if s.judgment.condition is not None:
            groups.setdefault(f"{s.judgment.condition.value} / {key(s)}", []).append(s)
    return {name: rates(group, reviews) for name, group in sorted(groups.items())}


def unplanted_by_item(judged: list[ScoredJudgment], reviews: Reviews) -> list[UnplantedItem]:
    """Items with unplanted flaws, the most reported first."""
    found: dict[str, list[int]] = {}
    truth: dict[str, str] = {}
    for s in judged:
        if s.truth is None or not s.scored.unplanted:
            continue
        counts = found.setdefault(s.item_name, [0, 0, 0])
        truth[s.item_name] = s.truth.value
        for position in s.scored.unplanted:
            review = reviews.get((s.judgment.id, position))
            counts[0] += 1
            counts[1] += review is not None
            counts[2] += review is True
    return sorted(
        (UnplantedItem(item, truth[item], *c) for item, c in found.items()),
        key=lambda u: (-u.reported, u.item),
    )
