"""How far an evaluator is through each study: their queue's size and when they last worked."""

from __future__ import annotations

from sqlite_utils import Database


def queue_ids(db: Database, study_id: str, evaluator_id: str) -> set[str]:
    """The items of the evaluator's queue: those assigned to them, else every item of the study
    (as services/review/session.py builds the queue)."""
    assigned = db.query(
        "SELECT study_item_id FROM assignments WHERE study_id = ? AND evaluator_id = ?",
        [study_id, evaluator_id],
    )
    ids = {row["study_item_id"] for row in assigned}
    if ids:
        return ids
    rows = db.query("SELECT id FROM study_items WHERE study_id = ?", [study_id])
    return {row["id"] for row in rows}


def last_worked(db: Database, study_id: str, evaluator_id: str) -> str | None:
    """The newest of the evaluator's opens, drafts and judgments in the study (UTC, ISO 8601)."""
    rows = list(
        db.query(
            "SELECT max(at) AS at FROM ("
            " SELECT e.at FROM review_events e JOIN study_items si ON si.id = e.study_item_id"
            "  WHERE si.study_id = :study AND e.evaluator_id = :evaluator"
            " UNION ALL SELECT d.saved_at FROM drafts d"
            "  JOIN study_items si ON si.id = d.study_item_id"
            "  WHERE si.study_id = :study AND d.evaluator_id = :evaluator"
            " UNION ALL SELECT j.created_at FROM judgments j"
            "  JOIN study_items si ON si.id = j.study_item_id"
            "  WHERE si.study_id = :study AND j.evaluator_id = :evaluator)",
            {"study": study_id, "evaluator": evaluator_id},
        )
    )
    at = rows[0]["at"] if rows else None
    return str(at) if at is not None else None
