"""What a session package holds: one evaluator's share of a study, blinded.

The rules here are about the study, not its rows: the package writer decides the share
(services/sessions/package.py) and the store copies it through the package's allow-list
(store/package_rows.py), which also says how each column is blinded. docs/session-packages.md
says why each rule is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition

FORMAT_VERSION = 1
# What a package keeps of a request's parameters: enough to repeat a request, nothing of a
# manipulation (a misleading critique's schema fixes its verdict and flagged line).
KEPT_PARAMS = ("max_tokens", "temperature", "n_ctx")
# What reading a value edited by hand can raise: a wrong type or shape, a number beyond an
# int (int(1e999)), JSON nested past Python's recursion limit.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError)


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


@dataclass(frozen=True)
class StoredResponse:
    """A pre-generated response a package may show: what the package writer decides by (the
    item and kind it answers, how new it is, the model and settings it was made with)."""

    id: str
    study_item_id: str
    kind: str
    requested_at: str
    backend: str
    model_id: str
    params: dict[str, Any]


@dataclass(frozen=True)
class PackageShare:
    """One evaluator's share of a study as the package writer decided it. The store copies
    it into the package through the package's allow-list, blinded (store/package_rows.py)."""

    study_id: str
    evaluator_id: str
    queue: tuple[tuple[str, Condition], ...]  # (item, its condition in the study), in order
    # The stored responses it shows, as (event id, the one time the package gives it), in the
    # order they are written.
    responses: tuple[tuple[str, str], ...]
    created_at: str  # when the package is written


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
        questions=definition.questions,
    )
