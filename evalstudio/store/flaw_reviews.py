"""Rows of the owner's reviews of reported flaws that match nothing planted: real or not."""

from __future__ import annotations

from sqlite_utils import Database


def insert_review(
    db: Database, review_id: str, judgment_id: str, position: int, real: bool, at: str
) -> None:
    db.table("flaw_reviews").insert(
        {
            "id": review_id,
            "judgment_id": judgment_id,
            "position": position,
            "real": int(real),
            "reviewed_at": at,
        }
    )


def current_reviews(db: Database, study_id: str) -> dict[tuple[str, int], bool]:
    """(judgment id, flaw position) → the owner's newest review of that flaw: real or not."""
    rows = db.query(
        "SELECT r.judgment_id, r.position, r.real FROM flaw_reviews r "
        "JOIN judgments j ON j.id = r.judgment_id "
        "JOIN study_items si ON si.id = j.study_item_id "
        "WHERE si.study_id = ? ORDER BY r.reviewed_at, r.rowid",
        [study_id],
    )
    return {(r["judgment_id"], r["position"]): bool(r["real"]) for r in rows}
