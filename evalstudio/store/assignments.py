"""Rows of assignments: an evaluator's items in order, each with its condition."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from evalstudio.core.review import Condition


def insert_assignments(
    db: Database, study_id: str, evaluator_id: str, items: Iterable[tuple[str, Condition]]
) -> None:
    db.table("assignments").insert_all(
        {
            "study_id": study_id,
            "evaluator_id": evaluator_id,
            "position": position,
            "study_item_id": item_id,
            "condition": condition.value,
        }
        for position, (item_id, condition) in enumerate(items)
    )


def assigned(db: Database, study_id: str, evaluator_id: str) -> list[tuple[str, Condition]]:
    """The evaluator's (item id, condition) in order; empty if the study assigns them none."""
    rows = db.query(
        "SELECT study_item_id, condition FROM assignments "
        "WHERE evaluator_id = ? AND study_id = ? ORDER BY position",
        [evaluator_id, study_id],
    )
    return [(r["study_item_id"], Condition(r["condition"])) for r in rows]


def has_plan(db: Database, study_id: str) -> bool:
    """Whether the study assigns its items to evaluators (a study created from a definition)."""
    rows = db.query("SELECT 1 FROM assignments WHERE study_id = ? LIMIT 1", [study_id])
    return any(True for _ in rows)


def misleading_by_item(db: Database, study_id: str) -> dict[str, list[str]]:
    """Item id → the evaluators it is assigned to under the misleading condition."""
    rows = db.query(
        "SELECT study_item_id, evaluator_id FROM assignments "
        "WHERE study_id = ? AND condition = 'misleading' ORDER BY evaluator_id",
        [study_id],
    )
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["study_item_id"], []).append(r["evaluator_id"])
    return found
