"""Assistance as the domain sees it: kinds, outcomes, critique points, and the logged event."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.model import LineRange, Severity, Verdict


class AssistKind(StrEnum):
    """What the evaluator asked for: text the model writes, the model's doubt, or the candidate
    run in the sandbox. Every kind is a row of the store's `assist_kinds` table and an entry of
    the registry (core/assist_kinds.py) that says how it is asked for and where it is shown."""

    CRITIQUE = "critique"
    FACT_CHECK = "fact_check"
    EXPLAIN = "explain"
    CHAT = "chat"
    SUSPICION = "suspicion"  # the model's yes/no doubt, line by line
    PROBE = "probe"  # calls the model proposes, run against the candidate
    RUN = "run"  # a call the evaluator typed, run against the candidate
    EXAMPLES = "examples"  # the task's own examples, run against the candidate
    COMPARE = "compare"  # which of a compare item's two answers is better, and why


class Outcome(StrEnum):
    """How a request ended. RUNNING on a row read later means the process died mid-request."""

    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    ERROR = "error"


class Manipulation(StrEnum):
    """How the misleading assistant replaced an honest response."""

    PASS = "pass"  # argues that a flawed candidate is fine
    FLAG = "flag"  # claims a flaw in a line of a correct candidate


@dataclass(frozen=True)
class CritiquePoint:
    """One point of a critique: where (the lines it names, the text it quotes), how bad, and
    what the model claims."""

    lines: LineRange | None
    severity: Severity
    claim: str
    quote: str | None = None


@dataclass(frozen=True)
class Critique:
    """A parsed critique; `structured` is False when it came from free-text fallback parsing."""

    points: tuple[CritiquePoint, ...]
    verdict: Verdict | None
    structured: bool


@dataclass(frozen=True)
class AssistEvent:
    """One logged request and its response (a row of the assistance log)."""

    id: str
    study_item_id: str | None
    evaluator_id: str | None
    kind: AssistKind
    outcome: Outcome
    response: str
    error: str | None
    model_id: str
    seed: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    requested_at: str
    first_token_at: str | None
    ended_at: str | None
    manipulated: bool
    pregenerated: bool
    chat: tuple[dict[str, str], ...] = ()  # a chat request's turns, ending with the question
    # Of a compare or rank item: the answer (candidate id) a request about one answer was of,
    # or the answers in the order the evaluator saw them when it was about all of them.
    side: str | None = None
    shown: tuple[str, ...] = ()
