"""An evaluator's judgment as the domain sees it: the form, its flaws, its stage and condition."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from evalstudio.core.comparison import (
    DEFAULT_SCALE,
    CompareScale,
    Layout,
    Ordering,
    ordering_problems,
)
from evalstudio.core.model import LineRange, Severity, Span, Verdict, inside, line_count
from evalstudio.core.rubric import RubricAnswer, answers_from_json, answers_to_json

QUALITY_RANGE = range(1, 8)
CONFIDENCE_RANGE = range(1, 6)


class Condition(StrEnum):
    """What assistance an evaluator gets on an item (assigned by the study's plan)."""

    UNASSISTED = "unassisted"
    ASSISTED = "assisted"
    MISLEADING = "misleading"

    @property
    def assisted(self) -> bool:
        """Whether the assistant panel exists (a misleading assistant looks like any other)."""
        return self is not Condition.UNASSISTED


class Stage(StrEnum):
    """FIRST is the judgment committed before assistance is revealed (a verdict, or a compare
    or rank item's ordering); FINAL is the judgment."""

    FIRST = "first"
    FINAL = "final"


class FlawSource(StrEnum):
    OWN = "own"
    ASSISTANT = "assistant"


class PointMark(StrEnum):
    """The evaluator's opinion of one critique point; CLEARED withdraws an earlier mark."""

    VALID = "valid"
    INVALID = "invalid"
    CLEARED = "cleared"


class ReviewStep(StrEnum):
    """What the review log records of a session besides the judgments."""

    OPEN = "open"  # the evaluator opened the item
    REVEAL = "reveal"  # a first verdict opened the assistance
    SHOW_RESPONSE = "show_response"  # a stored (pre-generated) response was shown
    MARK_POINT = "mark_point"  # a critique point marked valid or invalid (or cleared)
    UNDO = "undo"  # the item's final judgment was taken back


@dataclass(frozen=True)
class ReviewEvent:
    """One entry of the review log: a step of an evaluator on an item, when, and the response
    (and critique point, and mark) it concerns."""

    id: str
    evaluator_id: str
    study_item_id: str
    step: ReviewStep
    at: str
    assist_event_id: str | None = None
    point_index: int | None = None
    mark: PointMark | None = None


@dataclass(frozen=True)
class ReportedFlaw:
    """A flaw the evaluator reports: where (lines of code or a span of text), how bad, what,
    and whether it came from a critique point (which event, which point)."""

    severity: Severity
    description: str
    lines: LineRange | None = None
    span: Span | None = None
    source: FlawSource = FlawSource.OWN
    assist_event_id: str | None = None
    point_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "description": self.description,
            "lines": [self.lines.start, self.lines.end] if self.lines else None,
            "span": [self.span.start, self.span.end] if self.span else None,
            "source": self.source.value,
            "assist_event_id": self.assist_event_id,
            "point_index": self.point_index,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportedFlaw:
        lines, span = data.get("lines"), data.get("span")
        return cls(
            severity=Severity(data["severity"]),
            description=str(data.get("description", "")),
            lines=LineRange(lines[0], lines[1]) if lines else None,
            span=Span(span[0], span[1]) if span else None,
            source=FlawSource(data.get("source", FlawSource.OWN.value)),
            assist_event_id=data.get("assist_event_id"),
            point_index=data.get("point_index"),
        )


@dataclass(frozen=True)
class JudgmentForm:
    """What the judgment form holds; also the draft saved as the evaluator types."""

    verdict: Verdict | None = None
    quality: int | None = None
    confidence: int | None = None
    flaws: tuple[ReportedFlaw, ...] = ()
    rationale: str = ""
    active_ms: int = 0
    answers: tuple[RubricAnswer, ...] = ()  # to the study's rubric questions, in their order
    ordering: Ordering | None = None  # a compare or rank item's judgment (no verdict then)

    def answer(self, key: str) -> RubricAnswer | None:
        return next((a for a in self.answers if a.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value if self.verdict else None,
            "quality": self.quality,
            "confidence": self.confidence,
            "flaws": [f.to_json() for f in self.flaws],
            "rationale": self.rationale,
            "active_ms": self.active_ms,
            "answers": answers_to_json(self.answers),
            **({"ordering": self.ordering.to_json()} if self.ordering else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JudgmentForm:
        verdict = data.get("verdict")
        return cls(
            verdict=Verdict(verdict) if verdict else None,
            quality=data.get("quality"),
            confidence=data.get("confidence"),
            flaws=tuple(ReportedFlaw.from_json(f) for f in data.get("flaws", [])),
            rationale=str(data.get("rationale", "")),
            active_ms=int(data.get("active_ms", 0)),
            answers=answers_from_json(data.get("answers")),
            ordering=Ordering.from_json(data["ordering"]) if data.get("ordering") else None,
        )


def form_problems(
    form: JudgmentForm,
    stage: Stage,
    *,
    layout: Layout = Layout.SINGLE,
    candidate_ids: tuple[str, ...] = (),
    scale: CompareScale = DEFAULT_SCALE,
) -> list[str]:
    """What is missing or out of range before `form` can be submitted at `stage`.

    A first (pre-reveal) verdict needs the verdict and a confidence; a final judgment also
    needs the quality rating. Every flaw needs a description. A compare or rank item's
    judgment is its ordering of `candidate_ids` and a confidence, at either stage.
    """
    if layout is not Layout.SINGLE:
        problems = ordering_problems(form.ordering, candidate_ids, layout, scale)
        if form.verdict is not None or form.quality is not None or form.flaws:
            problems.append("a comparison has no verdict, quality or flaws")
        return problems + _confidence_problems(form)
    problems = []
    if form.ordering is not None:
        problems.append("a single answer has no order")
    if form.verdict is None:
        problems.append("choose a verdict (contains a flaw / acceptable)")
    problems += _confidence_problems(form)
    if stage is Stage.FINAL:
        if form.quality is None:
            problems.append("rate the answer's quality (1-7)")
        elif form.quality not in QUALITY_RANGE:
            problems.append(f"quality {form.quality} is not between 1 and 7")
    for number, flaw in enumerate(form.flaws, start=1):
        if not flaw.description.strip():
            problems.append(f"flaw {number} needs a description")
    return problems


def _confidence_problems(form: JudgmentForm) -> list[str]:
    if form.confidence is None:
        return ["rate your confidence (1-5)"]
    if form.confidence not in CONFIDENCE_RANGE:
        return [f"confidence {form.confidence} is not between 1 and 5"]
    return []


def outside(flaw: ReportedFlaw, candidate: str) -> bool:
    """Whether the flaw is placed where the candidate is not: lines it lacks, a span past its
    end. Refused on submit; one stored before that check is not scored (core/scoring.py)."""
    if flaw.lines is not None and not inside(flaw.lines, candidate):
        return True
    return flaw.span is not None and flaw.span.end > len(candidate)


def flaws_outside(form: JudgmentForm, candidate: str) -> list[str]:
    """The form's flaws that are not in the candidate: lines it does not have, or a span past
    its end. Whatever sent them (a critique point naming line 45 of a 12-line answer, a
    hand-made request), such a flaw is refused, not stored."""
    n, size = line_count(candidate), len(candidate)
    problems = []
    for number, flaw in enumerate(form.flaws, start=1):
        if flaw.lines is not None and not inside(flaw.lines, candidate):
            problems.append(
                f"flaw {number} is on lines {flaw.lines.start}-{flaw.lines.end}, "
                f"but the answer has {n} line{'s' if n != 1 else ''}"
            )
        if flaw.span is not None and flaw.span.end > size:
            problems.append(
                f"flaw {number} marks characters {flaw.span.start}-{flaw.span.end}, "
                f"but the answer has {size}"
            )
    return problems


def next_undone(item_ids: list[str], done: set[str], after: int) -> int | None:
    """The first position after `after` whose item is not done, wrapping around once."""
    n = len(item_ids)
    for step in range(1, n + 1):
        i = (after + step) % n
        if item_ids[i] not in done:
            return i
    return None


@dataclass(frozen=True)
class Judgment:
    """A submitted judgment or skip, as stored (immutable; a revision is a new one)."""

    id: str
    study_item_id: str
    evaluator_id: str
    stage: Stage
    form: JudgmentForm
    skipped_reason: str | None
    condition: Condition | None  # None on judgments made before conditions were recorded
    supersedes_id: str | None
    created_at: str

    @property
    def skipped(self) -> bool:
        return self.skipped_reason is not None


@dataclass(frozen=True)
class OrderJudgment:
    """A current final judgment of a compare or rank item, as the report and exports read it.
    `slots`: the item's candidates in slot order; `shown`: in the order this evaluator saw
    them (A first); `correct_id`: a pair shown as a compare item: its correct twin."""

    judgment_id: str
    evaluator_id: str
    item_id: str
    item_name: str  # the owner's name of the item (record or pair id)
    layout: Layout
    condition: Condition | None
    ordering: Ordering
    slots: tuple[str, ...]
    shown: tuple[str, ...]
    correct_id: str | None
    confidence: int | None
    by_model: bool
    answers: tuple[RubricAnswer, ...] = ()  # to the study's rubric questions
    first: Ordering | None = None  # the first pick, committed before the assistance opened


@dataclass(frozen=True)
class ItemState:
    """Where an evaluator stands on one item: current first and final judgments, the draft."""

    first: Judgment | None = None
    final: Judgment | None = None
    draft: JudgmentForm | None = None
    point_marks: dict[tuple[str, int], PointMark] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.final is not None
