"""Rows of studies and the study list with its counts."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from evalstudio.core.model import Study, StudySummary


def _study(row: dict[str, Any]) -> Study:
    return Study(
        row["id"],
        row["name"],
        row["guidelines"],
        row["created_at"],
        commit_before_reveal=bool(row["commit_before_reveal"]),
        misleading_p=row["misleading_p"],
    )


def insert_study(db: Database, study: Study) -> None:
    db.table("studies").insert(
        {
            "id": study.id,
            "name": study.name,
            "guidelines": study.guidelines,
            "created_at": study.created_at,
            "commit_before_reveal": int(study.commit_before_reveal),
            "misleading_p": study.misleading_p,
        }
    )


def insert_secret(db: Database, study_id: str, secret: str) -> None:
    """Keep the study's id secret (core/ids.py), made with the study."""
    db.table("study_secrets").insert({"study_id": study_id, "secret": secret})


def secret_of(db: Database, study_id: str) -> str | None:
    """The study's id secret; None for a study made before secrets (its ids stay plain)."""
    rows = list(db.query("SELECT secret FROM study_secrets WHERE study_id = ?", [study_id]))
    return str(rows[0]["secret"]) if rows else None


def set_review_options(
    db: Database, study_id: str, *, commit_before_reveal: bool, misleading_p: float
) -> None:
    db.execute(
        "UPDATE studies SET commit_before_reveal = ?, misleading_p = ? WHERE id = ?",
        [int(commit_before_reveal), misleading_p, study_id],
    )


def study_by_name(db: Database, name: str) -> Study | None:
    rows = list(db["studies"].rows_where("name = ?", [name], limit=1))
    return _study(rows[0]) if rows else None


def study_by_id(db: Database, study_id: str) -> Study | None:
    rows = list(db["studies"].rows_where("id = ?", [study_id], limit=1))
    return _study(rows[0]) if rows else None


def study_summaries(db: Database) -> list[StudySummary]:
    """Every study, oldest first, with its item, pair and judgment counts (people's judgments:
    a sweep of model evaluators makes hundreds, docs/sandwich.md)."""
    sql = """
        SELECT s.*,
          (SELECT count(*) FROM study_items si WHERE si.study_id = s.id) AS items,
          (SELECT count(*) FROM pairs p JOIN tasks t ON t.id = p.task_id
             WHERE t.study_id = s.id) AS pairs,
          (SELECT count(*) FROM study_items si JOIN candidates c ON c.id = si.candidate_id
             JOIN tasks t ON t.id = c.task_id
             WHERE si.study_id = s.id AND t.kind = 'code') AS code_items,
          (SELECT count(*) FROM judgments j JOIN study_items si ON si.id = j.study_item_id
             JOIN evaluators e ON e.id = j.evaluator_id
             WHERE si.study_id = s.id AND e.kind = 'human') AS judgments
        FROM studies s ORDER BY s.created_at, s.name
    """
    return [
        StudySummary(
            study=_study(row),
            items=row["items"],
            pairs=row["pairs"],
            code_items=row["code_items"],
            text_items=row["items"] - row["code_items"],
            judgments=row["judgments"],
        )
        for row in db.query(sql)
    ]
