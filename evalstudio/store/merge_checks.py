"""What an incoming row's cells must hold for a merge to take it: times that read as times,
JSON that reads, no text longer than its cap. A row edited by hand into something else would
mislead the merge (which draft is newer), break the app later, or fill the workspace."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from evalstudio.core.review import JudgmentForm
from evalstudio.core.session_merge import (
    MAX_RECORDED,
    MAX_WRITTEN,
    InvalidTime,
    RowProblem,
    RowRefused,
    TooLong,
    Unreadable,
)
from evalstudio.core.session_package import UNREADABLE

Row = dict[str, Any]

# Cells a merge reads as times (compared to decide which draft is newer) or as JSON.
_TIMES = {
    "evaluators": ("created_at",),
    "assist_events": ("requested_at",),
    "judgments": ("created_at",),
    "judgment_retractions": ("created_at",),
    "review_events": ("at",),
    "drafts": ("saved_at",),
}
_JSON = {
    "assist_events": ("messages", "params", "chat"),
    "drafts": ("form",),
    "judgment_answers": ("value",),
    "judgment_orders": ("tiers",),
}
# Cells that carry a candidate and a conversation: they get the larger cap.
_RECORDED = {
    "assist_events": ("messages", "response", "chat", "params", "error"),
    "drafts": ("form",),
}


def check_row(table: str, row: Row) -> None:
    """Raise RowRefused for the row's first cell a merge cannot take."""
    for column, value in row.items():
        cap = MAX_RECORDED if column in _RECORDED.get(table, ()) else MAX_WRITTEN
        if isinstance(value, str | bytes) and len(value) > cap:
            raise refused(row, TooLong(column, len(value), cap))
    for column in _TIMES.get(table, ()):
        try:
            time_of(row[column])
        except (TypeError, ValueError):
            raise refused(row, InvalidTime(column, row[column])) from None
    for column in _JSON.get(table, ()):
        if row[column] is None:
            continue
        try:
            value = json.loads(row[column])
            if column == "form":
                JudgmentForm.from_json(value)
        except UNREADABLE:
            raise refused(row, Unreadable(column)) from None


def refused(row: Row, problem: RowProblem) -> RowRefused:
    """The refusal of a row, named by its id (or, in a table without one, its judgment or
    item)."""
    return RowRefused(row.get("id") or row.get("judgment_id") or row.get("study_item_id"), problem)


def time_of(value: Any) -> datetime:
    """A stored time (ISO 8601 with its UTC offset, as every row is written)."""
    if not isinstance(value, str):
        raise TypeError(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment
