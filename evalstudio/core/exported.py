"""What a study's exports are made of (store/export_rows.py reads these, io/export_records.py
shapes them into the documented records): its current judgments with the assistance they
used, its assistance log, its perturbation pairs with the verdicts on their twins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalstudio.core.comparison import Layout
from evalstudio.core.model import Candidate, Evaluator, Task
from evalstudio.core.preference_pairs import TwinVotes
from evalstudio.core.review import Judgment


@dataclass(frozen=True)
class ExportedItem:
    """A study item with its task and its candidate, ground truth included. A compare or rank
    item's `candidate` is its slot 0 (a pair's correct twin): only `sides` are about it."""

    id: str
    position: int  # in the study's order, which follows the owner's file
    task: Task
    candidate: Candidate
    pair_id: str | None  # the external id of the pair the candidate is a twin in
    layout: Layout = Layout.SINGLE
    sides: tuple[Candidate, ...] = ()  # a compare or rank item's candidates in slot order


@dataclass(frozen=True)
class UsedResponse:
    """A response an evaluator requested on an item, or was shown pre-generated there."""

    id: str
    kind: str
    outcome: str
    requested_at: str
    shown_at: str | None  # when a pre-generated response was first shown; None if requested
    response: str
    manipulated: bool
    manipulation: str | None
    marks: tuple[tuple[int, str], ...]  # the evaluator's current (point index, mark) on it


@dataclass(frozen=True)
class ExportedJudgment:
    """An evaluator's current final judgment (or skip) on an item, with what it is about."""

    judgment: Judgment
    first: Judgment | None  # the current first verdict, if the study asked for one
    revision: int  # final versions submitted on the item up to this one, undone ones included
    evaluator: Evaluator
    item: ExportedItem
    assistance: tuple[UsedResponse, ...]  # in the order the evaluator got them
    # A compare or rank item's candidates in the order this evaluator saw them (A first); the
    # slot order would tell a pair's correct twin (slot 0). () for a single item.
    shown: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class ExportedEvent:
    """One logged assistance request on an item of the study, JSON cells decoded."""

    id: str
    study_item_id: str
    position: int  # the item's, in the study's order
    evaluator_id: str | None
    evaluator: Evaluator | None  # None for a pre-generated response
    kind: str
    pregenerated: bool
    regenerates_id: str | None
    chat: list[Any] | None
    messages: list[Any]
    params: dict[str, Any]
    backend: str
    model_id: str
    model_sha256: str | None
    seed: int | None
    requested_at: str
    first_token_at: str | None
    ended_at: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    outcome: str
    error: str | None
    response: str
    reused_from: str | None
    manipulated: bool
    manipulation: str | None
    misalignment: str | None
    basis_id: str | None


@dataclass(frozen=True)
class ExportedPair:
    """A perturbation pair: its task, both twins, and the people's current final verdicts on
    each twin (skips do not vote)."""

    pair_id: str  # the owner's external id
    task: Task
    correct: Candidate
    flawed: Candidate
    correct_votes: TwinVotes
    flawed_votes: TwinVotes
