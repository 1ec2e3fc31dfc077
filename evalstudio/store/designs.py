"""Rows of study designs: the owner's study definition, stored when the study is created."""

from __future__ import annotations

import json

from sqlite_utils import Database

from evalstudio.core.study_definition import StudyDefinition


def insert_design(db: Database, study_id: str, definition: StudyDefinition, at: str) -> None:
    db.table("study_designs").insert(
        {"study_id": study_id, "definition": json.dumps(definition.to_json()), "created_at": at}
    )


def design_of(db: Database, study_id: str) -> StudyDefinition | None:
    rows = list(db.query("SELECT definition FROM study_designs WHERE study_id = ?", [study_id]))
    return StudyDefinition.from_json(json.loads(rows[0]["definition"])) if rows else None
