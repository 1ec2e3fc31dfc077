"""What a session package holds: one evaluator's share of a study, blinded.

Pure rules on stored rows, shared by the package writer (which applies them) and the merge
(which compares a returned package's rows against them). docs/session-packages.md says why
each rule is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition

FORMAT_VERSION = 1
# The misleading share a package's study row carries: the column's default, so the file does
# not tell whether (or how often) its study manipulates responses.
NEUTRAL_MISLEADING_P = 0.3
# What a package keeps of a request's parameters: enough to repeat a request, nothing of a
# manipulation (a misleading critique's schema fixes its verdict and flagged line).
KEPT_PARAMS = ("max_tokens", "temperature", "n_ctx")
# The messages of a display copy. A real request always has a system message, so an event
# with these messages came from the owner's workspace, not from the package's own requests.
DISPLAY_MESSAGES = "[]"
# What reading a value edited by hand can raise: a wrong type or shape, a number beyond an
# int (int(1e999)), JSON nested past Python's recursion limit.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError)

Row = dict[str, Any]


@dataclass(frozen=True)
class PackageModel:
    """The model the package's pre-generated responses came from, and the generation settings
    its live requests use (the study's, not the evaluator's machine's)."""

    backend: str
    model_id: str
    max_tokens: int
    temperature: float

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model_id": self.model_id,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageModel:
        return cls(
            str(data["backend"]),
            str(data["model_id"]),
            int(data["max_tokens"]),
            float(data["temperature"]),
        )


@dataclass(frozen=True)
class PackageInfo:
    """The row that makes a workspace file a session package."""

    study_id: str
    evaluator_id: str
    source: str  # file name of the workspace it was written from
    model: PackageModel
    created_at: str
    format_version: int = FORMAT_VERSION
    token: str | None = None  # the owner's signature (core/signing.py); None before m011


def package_condition(condition: Condition) -> Condition:
    """The condition a package shows. Misleading shows as assisted: its manipulations are
    already in the prepared responses, and live requests in a package are never manipulated
    (the package has no truth to aim them with)."""
    return Condition.ASSISTED if condition is Condition.MISLEADING else condition


def returned_condition(shown: str | None, assigned: Condition) -> Condition | None:
    """The condition to store for a judgment a package returns: the study's own, if `shown`
    is what the package showed for it; None if the two cannot belong together."""
    if shown is not None and shown == package_condition(assigned).value:
        return assigned
    return None


def blind_study(row: Row) -> Row:
    return {**row, "misleading_p": NEUTRAL_MISLEADING_P}


def blind_task(row: Row) -> Row:
    """The owner's task id (a record's `task_id`, or its prompt) replaced by the task's own."""
    return {**row, "external_id": row["id"]}


def blind_candidate(row: Row) -> Row:
    """No truth, no planted flaw, no gold mark; the owner's record id (which may name the
    twin, e.g. "mean-bug") replaced by the candidate's own id."""
    return {
        **row,
        "external_id": row["id"],
        "truth": None,
        "flaw_description": None,
        "flaw_severity": None,
        "flaw_line_start": None,
        "flaw_line_end": None,
        "flaw_span_start": None,
        "flaw_span_end": None,
        "gold": 0,
    }


def blind_item(row: Row, position: int) -> Row:
    """Numbered in the evaluator's own order: the study's positions follow the owner's file,
    where twins often sit side by side in a fixed order."""
    return {**row, "external_id": row["id"], "position": position}


def display_copy(row: Row, *, stamp: str) -> Row:
    """An assistance event as a package shows it: the response and what the evaluator did
    with it, nothing of how it was made. Applied to every event in a package alike, so a
    manipulated response cannot be told from an honest one by its row: no manipulation
    columns, no prompt (a manipulation's steering sentence is in it), no prompt token count
    (which that sentence changes), no schema. A pre-generated response also loses whom it
    was prepared for and when (`stamp` instead): per-evaluator responses are made apart."""
    params = json.loads(row["params"])
    copy = {
        **row,
        "messages": DISPLAY_MESSAGES,
        "params": json.dumps({k: params[k] for k in KEPT_PARAMS if k in params}, sort_keys=True),
        "prompt_tokens": None,
        "manipulated": 0,
        "manipulation": None,
        "misalignment": None,
        "basis_id": None,  # the honest critique a flip argued against stays with the owner
        "request_sha256": None,
        "reused_from": None,
        "prepared_for": None,
    }
    if row["pregenerated"]:
        copy |= {
            "evaluator_id": None,
            "requested_at": stamp,
            "first_token_at": stamp,
            "ended_at": stamp,
        }
    return copy


def is_display_copy(row: Row) -> bool:
    return bool(row["messages"] == DISPLAY_MESSAGES)


def blind_definition(
    definition: StudyDefinition,
    evaluator_name: str,
    conditions: tuple[Condition, ...],
    *,
    pregenerated: bool,
) -> StudyDefinition:
    """The study definition a package carries: what the review needs (assist kinds, the
    first-verdict rule, whether stored responses are shown), none of the design (seed, the
    other evaluators, the misleading share, the description)."""
    return StudyDefinition(
        name=definition.name,
        tasks="-",
        seed="-",
        evaluators=(evaluator_name,),
        conditions=conditions,
        assist_kinds=definition.assist_kinds,
        commit_before_reveal=definition.commit_before_reveal,
        pregenerated=pregenerated,
        tools=definition.tools,
    )
