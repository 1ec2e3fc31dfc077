"""Recording an evaluator's verdict or skip on an item (append-only)."""

from __future__ import annotations

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.ids import new_id
from evalstudio.core.model import Verdict
from evalstudio.services.workspace import Workspace, now
from evalstudio.store import people


def submit_verdict(workspace: Workspace, item_id: str, evaluator_id: str, verdict: Verdict) -> str:
    """Record a verdict; returns the new judgment's id."""
    return _append(workspace, item_id, evaluator_id, verdict=verdict.value, skipped_reason=None)


def skip_item(workspace: Workspace, item_id: str, evaluator_id: str, reason: str) -> str:
    """Record that the evaluator skipped the item, and why; returns the new row's id."""
    if not reason.strip():
        raise EvalStudioError("a skip needs a reason")
    return _append(workspace, item_id, evaluator_id, verdict=None, skipped_reason=reason.strip())


def _append(
    workspace: Workspace,
    item_id: str,
    evaluator_id: str,
    *,
    verdict: str | None,
    skipped_reason: str | None,
) -> str:
    judgment_id = new_id()
    db = workspace.db
    with db.atomic():
        people.insert_judgment(
            db,
            judgment_id=judgment_id,
            study_item_id=item_id,
            evaluator_id=evaluator_id,
            verdict=verdict,
            skipped_reason=skipped_reason,
            created_at=now(),
        )
    return judgment_id
