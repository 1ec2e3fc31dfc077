"""The model's side of a study: on the study's own pairs, how often the assistance model tells
the flawed twin from its correct twin (discrimination, from the log-probabilities of a yes/no
answer) against how often its critique points at the planted flaw (critique catch). The gap
between the two is what the model "knows" but does not say (STUDY.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalstudio.assist.backend import AssistError
from evalstudio.core.analysis.intervals import mean
from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome
from evalstudio.core.model import Pair, PlantedFlaw, Truth
from evalstudio.core.scoring import critique_right
from evalstudio.core.suspicion import p_yes
from evalstudio.services.assistance.assistant import Assistant, critique_of
from evalstudio.store import content


@dataclass(frozen=True)
class PairSide:
    pair: str  # the pair's external id
    p_flawed_on_flawed: float  # the model's probability of "Yes, it has a flaw" on each twin
    p_flawed_on_correct: float
    critique_caught: bool  # its critique of the flawed twin says flawed, at the planted lines
    critique_event_id: str  # the logged critique (a stored pre-generated one if there was one)

    @property
    def discriminated(self) -> float:
        """1 if the flawed twin scores as more likely flawed, 0.5 on a tie, else 0."""
        if self.p_flawed_on_flawed == self.p_flawed_on_correct:
            return 0.5
        return float(self.p_flawed_on_flawed > self.p_flawed_on_correct)


@dataclass(frozen=True)
class ModelSide:
    model: str
    pairs: list[PairSide]
    failed: list[str]  # pairs left out because a request failed, with why

    def summary(self) -> dict[str, Any]:
        """Discrimination, critique catch, their gap and the gap's 95% t interval (paired
        over pairs); None where there are too few pairs."""
        n = len(self.pairs)
        if not n:
            return {"discrimination": None, "critique_catch": None, "gap": None, "gap_ci": None}
        disc = [p.discriminated for p in self.pairs]
        caught = [float(p.critique_caught) for p in self.pairs]
        differences = [d - c for d, c in zip(disc, caught, strict=True)]
        ci = mean(differences)
        gap_ci = {"low": ci.low, "high": ci.high} if ci else None
        return {
            "discrimination": sum(disc) / n,
            "critique_catch": sum(caught) / n,
            "gap": sum(differences) / n,
            "gap_ci": gap_ci,
        }


def measure_model_side(
    assistant: Assistant,
    study_id: str,
    *,
    max_tokens: int | None = None,
    on_pair: Callable[[int, int], None] | None = None,
) -> ModelSide:
    """Score both twins of every pair and critique each flawed twin. A stored pre-generated
    critique is used as it is (the one evaluators see); otherwise one is requested and logged
    without an evaluator, so no evaluator ever sees it."""
    db = assistant.workspace.db
    item_of = content.item_ids_by_candidate(db, study_id)
    planted = {c.id: c.flaw for c in content.candidates_of_study(db, study_id)}
    pairs = [
        p
        for p in content.pairs_of_study(db, study_id)
        if {p.correct_id, p.flawed_id} <= set(item_of)
    ]
    found: list[PairSide] = []
    failed: list[str] = []
    for done, pair in enumerate(pairs):
        if on_pair is not None:
            on_pair(done, len(pairs))
        try:
            found.append(
                _measure_pair(assistant, pair, item_of, planted[pair.flawed_id], max_tokens)
            )
        except AssistError as e:
            failed.append(f"{pair.external_id}: {e}")
    if on_pair is not None:
        on_pair(len(pairs), len(pairs))
    return ModelSide(assistant.backend.info().model_id, found, failed)


def _measure_pair(
    assistant: Assistant,
    pair: Pair,
    item_of: dict[str, str],
    planted: PlantedFlaw | None,
    max_tokens: int | None,
) -> PairSide:
    flawed_item, correct_item = item_of[pair.flawed_id], item_of[pair.correct_id]
    event = critique_event(assistant, flawed_item, max_tokens)
    if event.outcome is not Outcome.DONE:
        raise AssistError(f"the critique ended {event.outcome.value}: {event.error}")
    return PairSide(
        pair.external_id,
        p_flawed(assistant, flawed_item),
        p_flawed(assistant, correct_item),
        critique_right(critique_of(event.response), Truth.FLAWED, planted),
        event.id,
    )


def critique_event(
    assistant: Assistant,
    item_id: str,
    max_tokens: int | None,
    cancel: threading.Event | None = None,
) -> AssistEvent:
    """The item's critique to measure: the stored pre-generated one if it is honest (what
    evaluators see), else a new one logged without an evaluator. `cancel` set stops the
    generation within a token (the event then ends cancelled)."""
    event = assistant.stored(item_id, AssistKind.CRITIQUE)
    if event is not None and not event.manipulated:
        return event
    run = assistant.request(item_id, AssistKind.CRITIQUE, max_tokens=max_tokens)
    for _ in run:
        if cancel is not None and cancel.is_set():
            run.cancel()
    assert run.event is not None  # set when the iteration ends
    return run.event


def p_flawed(assistant: Assistant, item_id: str) -> float:
    """The model's P("Yes") to "Does the answer contain a flaw?", renormalised over Yes and
    No; a reply without usable log-probabilities is the model's error."""
    logprobs = assistant.score_flawed(item_id)
    try:
        return p_yes(logprobs["Yes"], logprobs["No"])
    except (KeyError, ValueError, TypeError) as e:
        raise AssistError(f"the model gave no usable yes/no score: {e}") from e
