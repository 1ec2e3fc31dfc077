"""The domain records: tasks, candidates, perturbation pairs, studies, items and evaluators."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.comparison import Layout, Side
from evalstudio.core.conversation import Turns


class Kind(StrEnum):
    """What a candidate is: code to check for bugs, or text to check for errors."""

    CODE = "code"
    TEXT = "text"


class Truth(StrEnum):
    """Ground truth of a candidate, when the study owner knows it."""

    CORRECT = "correct"
    FLAWED = "flawed"


class Verdict(StrEnum):
    """An evaluator's verdict on a candidate."""

    FLAWED = "flawed"
    ACCEPTABLE = "acceptable"


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class EvaluatorKind(StrEnum):
    HUMAN = "human"
    MODEL = "model"


@dataclass(frozen=True)
class LineRange:
    """1-based, inclusive line range in a candidate."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 1 or self.end < self.start:
            raise ValueError(f"not a line range: {self.start}-{self.end}")

    def overlaps(self, other: LineRange) -> bool:
        return self.start <= other.end and other.start <= self.end


def line_count(text: str) -> int:
    """A candidate's number of lines as it is shown and numbered for the model (at least 1)."""
    return len(text.splitlines()) or 1


def inside(lines: LineRange, text: str) -> bool:
    """Whether `lines` are lines of `text` (a critique point's or a flaw's)."""
    return lines.end <= line_count(text)


@dataclass(frozen=True)
class Span:
    """Character offsets [start, end) into a text candidate's source."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"not a character span: {self.start}-{self.end}")


@dataclass(frozen=True)
class PlantedFlaw:
    """The flaw planted in a flawed twin: what it is, how bad, and where."""

    description: str
    severity: Severity
    lines: LineRange | None
    span: Span | None


@dataclass(frozen=True)
class Study:
    """A study; with `commit_before_reveal` an evaluator commits a first verdict before the
    assistance opens; `misleading_p` is the misleading condition's manipulation rate."""

    id: str
    name: str
    guidelines: str
    created_at: str
    commit_before_reveal: bool = False
    misleading_p: float = 0.3


@dataclass(frozen=True)
class Task:
    """What was asked: the prompt every candidate of the task answers."""

    id: str
    study_id: str
    external_id: str
    prompt: str
    kind: Kind
    language: str
    reference: str | None
    # A conversation's turns before the evaluated one (core/conversation.py); the prompt is
    # then its last user turn. None for a single-answer task.
    conversation: Turns | None = None


@dataclass(frozen=True)
class Candidate:
    """One answer to a task; the unit an evaluator judges."""

    id: str
    task_id: str
    external_id: str
    text: str
    truth: Truth | None
    flaw: PlantedFlaw | None
    gold: bool


@dataclass(frozen=True)
class Pair:
    """A correct candidate and its flawed twin (targeted perturbation), with an optional test."""

    id: str
    task_id: str
    external_id: str
    correct_id: str
    flawed_id: str
    test: str | None


@dataclass(frozen=True)
class StudyItem:
    """A candidate's place in a study, in the study's order; a compare or rank item's
    candidates are `slots` (slot 0 is `candidate_id`; for a pair, the correct twin)."""

    id: str
    study_id: str
    candidate_id: str
    position: int
    external_id: str  # the owner's name: the record id (a pair shown as one item: the pair id)
    layout: Layout = Layout.SINGLE
    slots: tuple[str, ...] = ()  # candidate ids, for a compare or rank item


@dataclass(frozen=True)
class Evaluator:
    id: str
    name: str
    kind: EvaluatorKind


def has_control_character(name: str) -> bool:
    """Whether a study's or an evaluator's name holds a control character, which a name may
    not: a NUL ends a text for SQLite, so "\x00" would pass as a name and fail as a row."""
    return any(unicodedata.category(c) == "Cc" for c in name)


@dataclass(frozen=True)
class StudySummary:
    """A study with the counts a study list shows."""

    study: Study
    items: int
    pairs: int
    code_items: int
    text_items: int
    judgments: int


@dataclass(frozen=True)
class ItemView:
    """What an evaluator may see of an item: no ground truth, no pair, no gold flag."""

    item_id: str
    position: int
    task_prompt: str
    kind: Kind
    language: str
    candidate: str
    has_reference: bool = False  # its task has a reference solution (not shown to them)
    conversation: Turns | None = None  # the turns before the candidate, in a conversation
    # A compare or rank item: its candidates in the order this evaluator sees them (A, B…);
    # `candidate` is then the first shown. Empty for a single item.
    layout: Layout = Layout.SINGLE
    sides: tuple[Side, ...] = ()
