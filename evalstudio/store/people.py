"""Rows of evaluators (profiles: several people can share one machine)."""

from __future__ import annotations

from sqlite_utils import Database

from evalstudio.core.model import Evaluator, EvaluatorKind


def insert_evaluator(db: Database, evaluator: Evaluator, created_at: str) -> None:
    db.table("evaluators").insert(
        {
            "id": evaluator.id,
            "name": evaluator.name,
            "kind": evaluator.kind.value,
            "created_at": created_at,
        }
    )


def evaluators(db: Database) -> list[Evaluator]:
    rows = db.query("SELECT * FROM evaluators ORDER BY created_at, name")
    return [Evaluator(r["id"], r["name"], EvaluatorKind(r["kind"])) for r in rows]


def evaluator(db: Database, evaluator_id: str) -> Evaluator:
    row = db.table("evaluators").get(evaluator_id)
    return Evaluator(row["id"], row["name"], EvaluatorKind(row["kind"]))
