"""Rows of assignments: an evaluator's items in order, each with its condition."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from sqlite_utils import Database

from evalstudio.core.review import Condition


def insert_assignments(
    db: Database,
    study_id: str,
    evaluator_id: str,
    items: Iterable[tuple[str, Condition]],
    sides: Mapping[str, tuple[int, ...]] | None = None,
) -> None:
    """The evaluator's queue; `sides`: a compare or rank item's slots in the order they see
    them (core/comparison.py)."""
    shown = sides or {}
    db.table("assignments").insert_all(
        {
            "study_id": study_id,
            "evaluator_id": evaluator_id,
            "position": position,
            "study_item_id": item_id,
            "condition": condition.value,
            # Only for a compare or rank item: a single item's row is what it was before m017.
            **({"sides": json.dumps(shown[item_id])} if item_id in shown else {}),
        }
        for position, (item_id, condition) in enumerate(items)
    )


def shown_sides(db: Database, study_id: str, evaluator_id: str) -> dict[str, tuple[int, ...]]:
    """The order (slots) in which the evaluator sees each of their compare and rank items."""
    rows = db.query(
        "SELECT study_item_id, sides FROM assignments "
        "WHERE evaluator_id = ? AND study_id = ? AND sides IS NOT NULL",
        [evaluator_id, study_id],
    )
    found = {r["study_item_id"]: json.loads(r["sides"]) for r in rows}
    # Checked where it is used (core/comparison.shown_as): here only its shape.
    return {item: tuple(sides) for item, sides in found.items() if isinstance(sides, list)}


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
