"""Rows of the review log: items opened, assistance revealed and shown, points marked, undos."""

from __future__ import annotations

from sqlite_utils import Database

from evalstudio.core.review import PointMark, ReviewEvent


def insert_event(db: Database, event: ReviewEvent) -> None:
    db.table("review_events").insert(
        {
            "id": event.id,
            "evaluator_id": event.evaluator_id,
            "study_item_id": event.study_item_id,
            "kind": event.step.value,
            "assist_event_id": event.assist_event_id,
            "point_index": event.point_index,
            "mark": event.mark.value if event.mark else None,
            "at": event.at,
        }
    )


def last_opened(db: Database, study_id: str, evaluator_id: str) -> str | None:
    """The item the evaluator opened last in the study (where a reopened app resumes)."""
    rows = list(
        db.query(
            "SELECT e.study_item_id FROM review_events e "
            "JOIN study_items si ON si.id = e.study_item_id "
            "WHERE e.evaluator_id = ? AND e.kind = 'open' AND si.study_id = ? "
            "ORDER BY e.at DESC, e.rowid DESC LIMIT 1",
            [evaluator_id, study_id],
        )
    )
    return str(rows[0]["study_item_id"]) if rows else None


def revealed(db: Database, evaluator_id: str, item_id: str) -> bool:
    rows = db.query(
        "SELECT 1 FROM review_events WHERE study_item_id = ? AND evaluator_id = ? "
        "AND kind = 'reveal' LIMIT 1",
        [item_id, evaluator_id],
    )
    return any(True for _ in rows)


def point_marks(db: Database, evaluator_id: str, item_id: str) -> dict[tuple[str, int], PointMark]:
    """The evaluator's newest mark on each critique point of the item's responses."""
    rows = db.query(
        "SELECT assist_event_id, point_index, mark FROM review_events "
        "WHERE study_item_id = ? AND evaluator_id = ? AND kind = 'mark_point' "
        "ORDER BY at, rowid",
        [item_id, evaluator_id],
    )
    marks = {(r["assist_event_id"], r["point_index"]): PointMark(r["mark"]) for r in rows}
    return {key: mark for key, mark in marks.items() if mark is not PointMark.CLEARED}


def marks_by_manipulation(db: Database, study_id: str) -> dict[bool, dict[PointMark, int]]:
    """The evaluators' current marks on critique points, split by whether the critique was
    manipulated: {manipulated: {mark: count}}."""
    rows = db.query(
        "SELECT r.evaluator_id, r.assist_event_id, r.point_index, r.mark, a.manipulated "
        "FROM review_events r JOIN assist_events a ON a.id = r.assist_event_id "
        "JOIN study_items si ON si.id = r.study_item_id "
        "WHERE si.study_id = ? AND r.kind = 'mark_point' ORDER BY r.at, r.rowid",
        [study_id],
    )
    newest: dict[tuple[str, str, int], tuple[PointMark, bool]] = {}
    for r in rows:
        key = (r["evaluator_id"], r["assist_event_id"], r["point_index"])
        newest[key] = (PointMark(r["mark"]), bool(r["manipulated"]))
    counts: dict[bool, dict[PointMark, int]] = {True: {}, False: {}}
    for mark, manipulated in newest.values():
        if mark is not PointMark.CLEARED:
            counts[manipulated][mark] = counts[manipulated].get(mark, 0) + 1
    return counts


def marks_of_study(db: Database, study_id: str) -> dict[tuple[str, str, int], PointMark]:
    """(evaluator, assist event, point index) → the evaluator's current mark on that point."""
    rows = db.query(
        "SELECT r.evaluator_id, r.assist_event_id, r.point_index, r.mark FROM review_events r "
        "JOIN study_items si ON si.id = r.study_item_id "
        "WHERE si.study_id = ? AND r.kind = 'mark_point' ORDER BY r.at, r.rowid",
        [study_id],
    )
    marks = {
        (r["evaluator_id"], r["assist_event_id"], r["point_index"]): PointMark(r["mark"])
        for r in rows
    }
    return {key: mark for key, mark in marks.items() if mark is not PointMark.CLEARED}
