"""Rows of the judgments of compare and rank items (core/comparison.py), as the report and the
exports read them: the current final ordering of each evaluator on each such item, and the
first pick it was committed before the assistance, if any."""

from __future__ import annotations

import json

from sqlite_utils import Database

from evalstudio.core.comparison import Layout, sides_order
from evalstudio.core.review import Condition, OrderJudgment
from evalstudio.store.content import SLOTS, slots_of
from evalstudio.store.designs import design_of
from evalstudio.store.judgments import answers_of, ordering_of

# The newest unretracted final judgment of each evaluator on each compare or rank item, and
# the item's slots; skips have no order and are left out.
_CURRENT_ORDERS = f"""
    WITH current AS (
        SELECT j.*, row_number() OVER (
            PARTITION BY j.evaluator_id, j.study_item_id
            ORDER BY j.created_at DESC, j.rowid DESC) AS newest
        FROM judgments j JOIN study_items si ON si.id = j.study_item_id
        WHERE si.study_id = :study AND si.layout <> 'single' AND j.stage = 'final'
          AND NOT EXISTS (SELECT 1 FROM judgment_retractions r WHERE r.judgment_id = j.id)
    ),
    firsts AS (
        SELECT f.evaluator_id, f.study_item_id, o.tiers, o.strength, row_number() OVER (
            PARTITION BY f.evaluator_id, f.study_item_id
            ORDER BY f.created_at DESC, f.rowid DESC) AS newest
        FROM judgments f JOIN study_items si ON si.id = f.study_item_id
        JOIN judgment_orders o ON o.judgment_id = f.id
        WHERE si.study_id = :study AND f.stage = 'first'
          AND NOT EXISTS (SELECT 1 FROM judgment_retractions r WHERE r.judgment_id = f.id)
    )
    SELECT c.id, c.evaluator_id, c.study_item_id, c.condition, c.confidence,
           si.external_id, si.layout, o.tiers, o.strength, e.kind AS evaluator_kind,
           a.sides, fs.tiers AS first_tiers, fs.strength AS first_strength,
           {SLOTS} AS slots,
           (SELECT p.correct_id FROM pairs p
                WHERE p.correct_id = si.candidate_id) AS correct_id
    FROM current c
    JOIN study_items si ON si.id = c.study_item_id
    JOIN judgment_orders o ON o.judgment_id = c.id
    JOIN evaluators e ON e.id = c.evaluator_id
    LEFT JOIN assignments a
        ON a.evaluator_id = c.evaluator_id AND a.study_item_id = c.study_item_id
    LEFT JOIN firsts fs ON fs.evaluator_id = c.evaluator_id
        AND fs.study_item_id = c.study_item_id AND fs.newest = 1
    WHERE c.newest = 1
    ORDER BY si.position, c.evaluator_id
"""


def order_judgments(db: Database, study_id: str) -> list[OrderJudgment]:
    """Every current final judgment of the study's compare and rank items, with its first
    pick where one was committed."""
    design = design_of(db, study_id)
    seed = design.seed if design else study_id
    found = []
    rows = list(db.query(_CURRENT_ORDERS, {"study": study_id}))
    answers = answers_of(db, [r["id"] for r in rows])
    for r in rows:
        slots = slots_of(r["slots"])
        stored = json.loads(r["sides"]) if r["sides"] else None
        order = sides_order(stored, len(slots), seed, r["evaluator_id"], r["study_item_id"])
        found.append(
            OrderJudgment(
                judgment_id=r["id"],
                evaluator_id=r["evaluator_id"],
                item_id=r["study_item_id"],
                item_name=r["external_id"],
                layout=Layout(r["layout"]),
                condition=Condition(r["condition"]) if r["condition"] else None,
                ordering=ordering_of(r["tiers"], r["strength"]),
                slots=slots,
                shown=tuple(slots[slot] for slot in order),
                correct_id=r["correct_id"],
                confidence=r["confidence"],
                by_model=r["evaluator_kind"] == "model",
                answers=answers[r["id"]],
                first=(
                    ordering_of(r["first_tiers"], r["first_strength"])
                    if r["first_tiers"] is not None
                    else None
                ),
            )
        )
    return found
