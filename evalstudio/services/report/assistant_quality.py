"""Owner › Assistant quality: how good the assistance model is on the study's own pairs, kind
by kind, before anyone studies people relying on it. Critique: is its verdict right on each
twin, do its located points land on the planted lines, does it catch the plant. Yes/no
discrimination: does it score the flawed twin as more likely flawed, and the gap to the
critique (the report's model side, services/models/model_side.py). Suspicion: do the planted lines
get the highest line scores.

Every figure comes with what it counts (n) and, where a standard one exists, a 95% interval.
Stored pre-generated critiques are reused as the model side reuses them; everything else is
asked for without an evaluator, so no evaluator ever sees it. A pair whose requests fail is
left out and named; a cancel ends the run with the figures of the pairs done so far."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from evalstudio.assist.backend import AssistError
from evalstudio.core.analysis.effect import Interval
from evalstudio.core.analysis.intervals import mean, share
from evalstudio.core.assistance import AssistEvent, Outcome
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Candidate, Pair, Truth, Verdict
from evalstudio.core.scoring import critique_right, point_at_plant
from evalstudio.core.suspicion import line_auc
from evalstudio.services.assistance.assistant import Assistant, critique_of
from evalstudio.services.assistance.suspicion import SuspicionRun, planted_lines
from evalstudio.services.models.model_side import ModelSide, PairSide, critique_event, p_flawed
from evalstudio.store import content

CRITIQUE, DISCRIMINATION, SUSPICION = "critique", "yes/no discrimination", "suspicion"


@dataclass(frozen=True)
class PairQuality:
    side: PairSide  # both twins' yes/no scores and the flawed twin's critique catch
    verdict_right_on_flawed: bool  # the flawed twin's critique says "flawed"
    verdict_right_on_correct: bool  # the correct twin's critique says "acceptable"
    points_located: int  # points of the flawed twin's critique with lines (code plants only)
    points_at_plant: int  # of those, the ones overlapping the planted lines
    suspicion_auc: float | None  # None when every scored line is planted, or none is


@dataclass(frozen=True)
class Figure:
    kind: str  # CRITIQUE, DISCRIMINATION or SUSPICION
    measure: str
    value: float | None  # None: nothing to count
    interval: Interval | None  # 95%; None where there is no standard one or too few values
    n: int
    counted: str  # what n counts: "pairs", "twins", "points", "flawed twins"
    percent: bool = True  # a share (shown as a percentage); False: an AUC (shown as 0.xx)


@dataclass(frozen=True)
class AssistantQuality:
    model: str
    total: int  # the study's pairs with both twins in it
    pairs: tuple[PairQuality, ...]
    failed: tuple[str, ...]  # "pair: why" for each pair left out because a request failed
    cancelled: bool

    def figures(self) -> tuple[Figure, ...]:
        pairs = self.pairs
        n = len(pairs)
        sides = [p.side for p in pairs]
        on_flawed = sum(p.verdict_right_on_flawed for p in pairs)
        on_correct = sum(p.verdict_right_on_correct for p in pairs)
        caught = sum(s.critique_caught for s in sides)
        located = sum(p.points_located for p in pairs)
        at_plant = sum(p.points_at_plant for p in pairs)
        # Each twin on its own: right when P(flawed) ≥ 50% on the flawed twin, < 50% on the
        # correct one; the AUC is the same question without a threshold.
        twins_right = sum(s.p_flawed_on_flawed >= 0.5 for s in sides) + sum(
            s.p_flawed_on_correct < 0.5 for s in sides
        )
        scores = [s.p_flawed_on_flawed for s in sides] + [s.p_flawed_on_correct for s in sides]
        auc = line_auc(scores, [True] * n + [False] * n)
        paired = [s.discriminated for s in sides]
        gap = ModelSide(self.model, sides, []).summary()
        gap_ci = gap["gap_ci"]
        aucs = [p.suspicion_auc for p in pairs if p.suspicion_auc is not None]
        return (
            _share(CRITIQUE, "verdict right on the flawed twin (says flawed)", on_flawed, n),
            _share(CRITIQUE, "verdict right on the correct twin (says acceptable)", on_correct, n),
            _share(CRITIQUE, "catch rate (says flawed, at the planted lines)", caught, n),
            _share(
                CRITIQUE,
                "line precision (its located points at the planted lines)",
                at_plant,
                located,
                "points",
            ),
            _share(
                DISCRIMINATION, "accuracy per twin (P(flawed) at 50%)", twins_right, 2 * n, "twins"
            ),
            Figure(DISCRIMINATION, "AUC over twins", auc, None, 2 * n, "twins", percent=False),
            Figure(
                DISCRIMINATION,
                "flawed twin scored higher than its correct twin (ties half)",
                sum(paired) / n if n else None,
                mean(paired, bounds=(0.0, 1.0)),
                n,
                "pairs",
            ),
            Figure(
                DISCRIMINATION,
                "gap: discrimination − critique catch",
                gap["gap"],
                # The report's paired t interval, cut to where a gap can be.
                Interval(max(gap_ci["low"], -1.0), min(gap_ci["high"], 1.0)) if gap_ci else None,
                n,
                "pairs",
            ),
            Figure(
                SUSPICION,
                "line AUC on the flawed twin (planted lines above the others; mean)",
                sum(aucs) / len(aucs) if aucs else None,
                mean(aucs, bounds=(0.0, 1.0)),
                len(aucs),
                "flawed twins",
                percent=False,
            ),
        )


def _share(kind: str, measure: str, successes: int, n: int, counted: str = "pairs") -> Figure:
    return Figure(kind, measure, successes / n if n else None, share(successes, n), n, counted)


class _Cancelled(Exception):
    """The owner cancelled while a pair was being measured: the pair is dropped, not failed."""


def measure_assistant_quality(
    assistant: Assistant,
    study_id: str,
    *,
    max_tokens: int | None = None,
    on_pair: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> AssistantQuality:
    """Measure every pair of the study (run on the model lane: it runs the model). `on_pair`
    is told (pairs done, pairs in all) before each pair and at the end; `cancel` set stops
    within a token or a scored line."""
    stop = cancel or threading.Event()
    db = assistant.workspace.db
    item_of = content.item_ids_by_candidate(db, study_id)
    candidates = {c.id: c for c in content.candidates_of_study(db, study_id)}
    pairs = [
        p
        for p in content.pairs_of_study(db, study_id)
        if {p.correct_id, p.flawed_id} <= set(item_of)
    ]
    found: list[PairQuality] = []
    failed: list[str] = []
    for done, pair in enumerate(pairs):
        if on_pair is not None:
            on_pair(done, len(pairs))
        if stop.is_set():
            break
        try:
            found.append(_measure_pair(assistant, pair, item_of, candidates, max_tokens, stop))
        except _Cancelled:
            break
        except EvalStudioError as e:  # the model failed on this pair only: the run goes on
            failed.append(f"{pair.external_id}: {e}")
    else:
        if on_pair is not None:
            on_pair(len(pairs), len(pairs))
    return AssistantQuality(
        assistant.backend.info().model_id,
        len(pairs),
        tuple(found),
        tuple(failed),
        stop.is_set(),
    )


def _measure_pair(
    assistant: Assistant,
    pair: Pair,
    item_of: dict[str, str],
    candidates: dict[str, Candidate],
    max_tokens: int | None,
    stop: threading.Event,
) -> PairQuality:
    flawed_item, correct_item = item_of[pair.flawed_id], item_of[pair.correct_id]
    flawed = candidates[pair.flawed_id]
    flawed_event = _critique(assistant, flawed_item, max_tokens, stop)
    on_flawed = critique_of(flawed_event.response)
    on_correct = critique_of(_critique(assistant, correct_item, max_tokens, stop).response)
    plant = flawed.flaw
    side = PairSide(
        pair.external_id,
        p_flawed(assistant, flawed_item),
        p_flawed(assistant, correct_item),
        critique_right(on_flawed, Truth.FLAWED, plant),
        flawed_event.id,
    )
    located = at_plant = 0
    # Critique points carry lines only: on a text plant (a passage) none can be at the plant.
    if plant is not None and plant.lines is not None:
        points = [p for p in on_flawed.points if p.lines is not None]
        located, at_plant = len(points), sum(point_at_plant(p, plant) for p in points)
    return PairQuality(
        side,
        on_flawed.verdict is Verdict.FLAWED,
        on_correct.verdict is Verdict.ACCEPTABLE,
        located,
        at_plant,
        _suspicion_auc(assistant, flawed_item, flawed, stop),
    )


def _critique(
    assistant: Assistant, item_id: str, max_tokens: int | None, stop: threading.Event
) -> AssistEvent:
    event = critique_event(assistant, item_id, max_tokens, stop)
    if stop.is_set():
        raise _Cancelled
    if event.outcome is not Outcome.DONE:
        raise AssistError(f"the critique ended {event.outcome.value}: {event.error}")
    return event


def _suspicion_auc(
    assistant: Assistant, item_id: str, candidate: Candidate, stop: threading.Event
) -> float | None:
    """Score every line of the flawed twin (logged as a suspicion request without an
    evaluator) and rank the planted lines among them."""
    run = SuspicionRun(assistant, item_id)
    event = run.run(on_unit=lambda _: run.cancel() if stop.is_set() else None)
    if stop.is_set():
        raise _Cancelled
    if event.outcome is not Outcome.DONE:
        raise AssistError(f"the suspicion scores ended {event.outcome.value}: {event.error}")
    planted = planted_lines(candidate)
    return line_auc(run.scores, [unit.line in planted for unit in run.units])
