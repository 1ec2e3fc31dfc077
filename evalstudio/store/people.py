"""Rows of evaluators and their judgments (append-only)."""

from __future__ import annotations

from sqlite_utils import Database

from evalstudio.core.model import Evaluator


def insert_evaluator(db: Database, evaluator: Evaluator, created_at: str) -> None:
    db.table("evaluators").insert(
        {
            "id": evaluator.id,
            "name": evaluator.name,
            "kind": evaluator.kind.value,
            "created_at": created_at,
        }
    )


def insert_judgment(
    db: Database,
    *,
    judgment_id: str,
    study_item_id: str,
    evaluator_id: str,
    verdict: str | None,
    skipped_reason: str | None,
    created_at: str,
) -> None:
    db.table("judgments").insert(
        {
            "id": judgment_id,
            "study_item_id": study_item_id,
            "evaluator_id": evaluator_id,
            "verdict": verdict,
            "skipped_reason": skipped_reason,
            "created_at": created_at,
        }
    )
