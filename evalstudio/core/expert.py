"""The expert's copy as the assistant: the honest critique taken from the answer key.

Artificial sandwiching needs an assistant that knows more than the weak evaluator; with the
same weak model in both roles a sweep can only show harm. The expert here is the study's
ground truth: on a flawed twin it names the planted flaw (its lines, severity, description),
on a correct twin it finds none. Misaligned responses still come from the misleading
assistant (core/misleading.py), drawn with p as before, so only the honest side changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.model import Candidate, LineRange, Severity, Span, Truth, Verdict


class AssistantSource(StrEnum):
    """Where the misleading condition's honest critiques come from."""

    MODEL = "model"  # the assistant model's own critique
    EXPERT = "expert"  # the answer key, worded by the assistant model
    EXPERT_TEMPLATE = "expert:template"  # the answer key, worded by a fixed template

    @property
    def expert(self) -> bool:
        return self is not AssistantSource.MODEL


@dataclass(frozen=True)
class ExpertFlaw:
    """The planted flaw as the expert reports it: always on lines (a text plant's span is
    turned into the lines it covers, which is what a critique point can name)."""

    lines: LineRange
    severity: Severity
    description: str


@dataclass(frozen=True)
class ExpertView:
    """What the answer key says of one candidate. `flaw` is None on a correct twin, and on a
    flawed one whose plant was recorded without a place."""

    verdict: Verdict
    flaw: ExpertFlaw | None


def expert_view(candidate: Candidate) -> ExpertView | None:
    """The key's view of the candidate, or None when the key says nothing of it (no truth)."""
    if candidate.truth is None:
        return None
    if candidate.truth is Truth.CORRECT:
        return ExpertView(Verdict.ACCEPTABLE, None)
    planted = candidate.flaw
    if planted is None:
        return ExpertView(Verdict.FLAWED, None)
    lines = planted.lines or (_lines_of(candidate.text, planted.span) if planted.span else None)
    if lines is None:
        return ExpertView(Verdict.FLAWED, None)
    return ExpertView(Verdict.FLAWED, ExpertFlaw(lines, planted.severity, planted.description))


def _lines_of(text: str, span: Span) -> LineRange:
    """The 1-based lines a character span of `text` covers (as the candidate is numbered)."""
    start = text.count("\n", 0, span.start) + 1
    end = text.count("\n", 0, max(span.start, span.end - 1)) + 1
    return LineRange(start, end)


# An expert critique lists one point on a flawed twin and none on a correct one: the numbers
# a manipulated critique copies, so its shape does not tell it from the expert's.
EXPERT_POINTS_FLAWED = 1
EXPERT_POINTS_ACCEPTABLE = 0
