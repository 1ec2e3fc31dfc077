"""Evaluator profiles: several people can share one machine."""

from __future__ import annotations

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.ids import new_id
from evalstudio.core.model import Evaluator, EvaluatorKind, has_control_character
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import people


def add_evaluator(
    workspace: Workspace, name: str, kind: EvaluatorKind = EvaluatorKind.HUMAN
) -> Evaluator:
    name = name.strip()
    if not name:
        raise EvalStudioError("an evaluator needs a name")
    if has_control_character(name):
        raise EvalStudioError("an evaluator's name may not hold a control character")
    evaluator = Evaluator(new_id(), name, kind)
    db = workspace.db
    with db.atomic():
        people.insert_evaluator(db, evaluator, now())
    return evaluator


def list_evaluators(workspace: Workspace, kind: EvaluatorKind | None = None) -> list[Evaluator]:
    """Every evaluator profile, or those of one kind (the app offers people only)."""
    return [e for e in people.evaluators(workspace.db) if kind is None or e.kind is kind]
