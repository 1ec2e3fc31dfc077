"""Which item the review window has on screen, kept in the workspace until the window closes
cleanly, so the next start can tell that the app was killed or crashed there and reopen it.

The draft itself is already safe (the window saves it within half a second of each change,
store/judgments.py `save_draft`); this adds the one fact a crash loses: that a review was open,
and on which evaluator's item. A clean close (or leaving the review) removes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from evalstudio.core.model import Evaluator, Study
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import judgments, people, studies, workspace_settings

_KEY = "review_on_screen"


@dataclass(frozen=True)
class Interrupted:
    """A review the last run left open: the study, the evaluator, the item on screen, and when
    its draft was last saved (UTC, ISO 8601; None when nothing was typed)."""

    study: Study
    evaluator: Evaluator
    item_id: str
    draft_saved_at: str | None


def record_open(workspace: Workspace, study_id: str, evaluator_id: str, item_id: str) -> None:
    """The window shows `item_id` of the evaluator's review of the study."""
    value = {"study": study_id, "evaluator": evaluator_id, "item": item_id, "at": now()}
    db = workspace.db
    with db.atomic():
        workspace_settings.put(db, _KEY, json.dumps(value))


def record_closed(workspace: Workspace) -> None:
    """The window left the review in order (back to the studies, another workspace, quit)."""
    db = workspace.db
    with db.atomic():
        workspace_settings.delete(db, _KEY)


def interrupted(workspace: Workspace) -> Interrupted | None:
    """The review the last run had open when it ended without closing; None after a clean
    close, or when its study, evaluator or item is gone or the record is unreadable."""
    db = workspace.db
    raw = workspace_settings.get(db, _KEY)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        study_id, evaluator_id, item_id = value["study"], value["evaluator"], value["item"]
    except (ValueError, TypeError, KeyError):
        return None
    study = studies.study_by_id(db, str(study_id))
    evaluator = next((e for e in people.evaluators(db) if e.id == evaluator_id), None)
    if study is None or evaluator is None:
        return None
    saved_at = judgments.draft_saved_at(db, evaluator.id, str(item_id))
    return Interrupted(study, evaluator, str(item_id), saved_at)
