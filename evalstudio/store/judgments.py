"""Rows of judgments with their flaws, retractions (undo) and drafts.

Judgments, flaws and retractions are append-only; "the current judgment" of an evaluator on an
item at a stage is the newest one without a retraction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from evalstudio.core.comparison import Ordering
from evalstudio.core.errors import WorkspaceError
from evalstudio.core.model import LineRange, Severity, Span, Verdict
from evalstudio.core.review import (
    Condition,
    FlawSource,
    Judgment,
    JudgmentForm,
    ReportedFlaw,
    Stage,
)
from evalstudio.core.rubric import RubricAnswer, answers_from_json

_CURRENT = """
    SELECT j.* FROM judgments j
    WHERE NOT EXISTS (SELECT 1 FROM judgment_retractions r WHERE r.judgment_id = j.id)
"""


def insert_judgment(db: Database, judgment: Judgment) -> None:
    """Write a judgment and its flaws (call inside a transaction)."""
    form = judgment.form
    db.table("judgments").insert(
        {
            "id": judgment.id,
            "study_item_id": judgment.study_item_id,
            "evaluator_id": judgment.evaluator_id,
            "stage": judgment.stage.value,
            "condition": judgment.condition.value if judgment.condition else None,
            "verdict": form.verdict.value if form.verdict and not judgment.skipped else None,
            "skipped_reason": judgment.skipped_reason,
            "quality": form.quality,
            "confidence": form.confidence,
            "rationale": form.rationale,
            "active_ms": form.active_ms,
            "supersedes_id": judgment.supersedes_id,
            "created_at": judgment.created_at,
        }
    )
    db.table("judgment_flaws").insert_all(
        {
            "judgment_id": judgment.id,
            "position": position,
            "severity": flaw.severity.value,
            "description": flaw.description,
            "line_start": flaw.lines.start if flaw.lines else None,
            "line_end": flaw.lines.end if flaw.lines else None,
            "span_start": flaw.span.start if flaw.span else None,
            "span_end": flaw.span.end if flaw.span else None,
            "source": flaw.source.value,
            "assist_event_id": flaw.assist_event_id,
            "point_index": flaw.point_index,
        }
        for position, flaw in enumerate(form.flaws)
    )
    db.table("judgment_answers").insert_all(
        {"judgment_id": judgment.id, "question_key": a.key, "value": json.dumps(a.to_json())}
        for a in form.answers
    )
    if form.ordering is not None and not judgment.skipped:
        db.table("judgment_orders").insert(
            {
                "judgment_id": judgment.id,
                "tiers": json.dumps(form.ordering.to_json()["tiers"]),
                "strength": form.ordering.strength,
            }
        )


def retract(db: Database, retraction_id: str, judgment_id: str, created_at: str) -> None:
    db.table("judgment_retractions").insert(
        {"id": retraction_id, "judgment_id": judgment_id, "created_at": created_at}
    )


def judged_items(db: Database, study_id: str, evaluator_id: str) -> list[str]:
    """The study's items the evaluator has a judgment on (retracted or not), in study order."""
    rows = db.query(
        "SELECT DISTINCT si.id, si.position FROM judgments j "
        "JOIN study_items si ON si.id = j.study_item_id "
        "WHERE j.evaluator_id = ? AND si.study_id = ? ORDER BY si.position",
        [evaluator_id, study_id],
    )
    return [r["id"] for r in rows]


def current_judgments(db: Database, evaluator_id: str, item_id: str) -> dict[Stage, Judgment]:
    """The evaluator's current judgment on the item at each stage that has one."""
    rows = db.query(
        _CURRENT + " AND j.evaluator_id = ? AND j.study_item_id = ? ORDER BY j.created_at, j.rowid",
        [evaluator_id, item_id],
    )
    current = {}
    for row in rows:
        judgment = _judgment(db, row)
        current[judgment.stage] = judgment  # later rows replace earlier ones
    return current


def latest_of_item(db: Database, evaluator_id: str, item_id: str, stage: Stage) -> str | None:
    """The newest judgment at the stage, retracted or not: the one a new version supersedes."""
    rows = list(
        db.query(
            "SELECT id FROM judgments WHERE evaluator_id = ? AND study_item_id = ? AND stage = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            [evaluator_id, item_id, stage.value],
        )
    )
    return str(rows[0]["id"]) if rows else None


def last_submitted(db: Database, study_id: str, evaluator_id: str) -> Judgment | None:
    """The evaluator's newest unretracted judgment in the study (what Undo takes back)."""
    rows = list(
        db.query(
            _CURRENT + " AND j.evaluator_id = ? AND j.study_item_id IN "
            "(SELECT id FROM study_items WHERE study_id = ?) "
            "ORDER BY j.created_at DESC, j.rowid DESC LIMIT 1",
            [evaluator_id, study_id],
        )
    )
    return _judgment(db, rows[0]) if rows else None


def done_items(db: Database, study_id: str, evaluator_id: str) -> set[str]:
    """Items with a current final judgment or skip by the evaluator."""
    rows = db.query(
        "SELECT DISTINCT j.study_item_id FROM judgments j "
        "JOIN study_items si ON si.id = j.study_item_id "
        "WHERE si.study_id = ? AND j.evaluator_id = ? AND j.stage = 'final' "
        "AND NOT EXISTS (SELECT 1 FROM judgment_retractions r WHERE r.judgment_id = j.id)",
        [study_id, evaluator_id],
    )
    return {row["study_item_id"] for row in rows}


def skipped_items(db: Database, study_id: str, evaluator_id: str) -> set[str]:
    """Items whose current final judgment by the evaluator is a skip (a later judgment
    replaces a skip, and a skip a judgment)."""
    rows = db.query(
        "SELECT study_item_id FROM ("
        "  SELECT j.study_item_id, j.skipped_reason, ROW_NUMBER() OVER ("
        "    PARTITION BY j.study_item_id ORDER BY j.created_at DESC, j.rowid DESC) AS newest"
        "  FROM judgments j JOIN study_items si ON si.id = j.study_item_id"
        "  WHERE si.study_id = ? AND j.evaluator_id = ? AND j.stage = 'final'"
        "  AND NOT EXISTS (SELECT 1 FROM judgment_retractions r WHERE r.judgment_id = j.id)"
        ") WHERE newest = 1 AND skipped_reason IS NOT NULL",
        [study_id, evaluator_id],
    )
    return {row["study_item_id"] for row in rows}


def drafted_items(db: Database, study_id: str, evaluator_id: str) -> set[str]:
    """Items of the study with a draft by the evaluator (started, or a revision begun)."""
    rows = db.query(
        "SELECT d.study_item_id FROM drafts d JOIN study_items si ON si.id = d.study_item_id "
        "WHERE si.study_id = ? AND d.evaluator_id = ?",
        [study_id, evaluator_id],
    )
    return {row["study_item_id"] for row in rows}


def _judgment(db: Database, row: dict[str, Any]) -> Judgment:
    flaws = db.query(
        "SELECT * FROM judgment_flaws WHERE judgment_id = ? ORDER BY position", [row["id"]]
    )
    return judgment_of(
        row,
        tuple(flaw_of(f) for f in flaws),
        answers_of(db, [row["id"]])[row["id"]],
        orders_of(db, [row["id"]]).get(row["id"]),
    )


def orders_of(db: Database, judgment_ids: list[str]) -> dict[str, Ordering]:
    """The orderings of those of the judgments that judged a compare or rank item."""
    rows = db.query(
        "SELECT judgment_id, tiers, strength FROM judgment_orders "
        "WHERE judgment_id IN (SELECT value FROM json_each(?))",
        [json.dumps(judgment_ids)],
    )
    return {r["judgment_id"]: ordering_of(r["tiers"], r["strength"]) for r in rows}


def ordering_of(tiers: str, strength: int | None) -> Ordering:
    """A stored ordering; one that is not (a file edited by hand) is a WorkspaceError."""
    try:
        return Ordering.from_json({"tiers": json.loads(tiers), "strength": strength})
    except (ValueError, TypeError) as e:
        raise WorkspaceError(f"a stored judgment's order is not one: {e}") from None


def answers_of(db: Database, judgment_ids: list[str]) -> dict[str, tuple[RubricAnswer, ...]]:
    """The answers submitted with each of the judgments (() for one without)."""
    found: dict[str, dict[str, Any]] = {j: {} for j in judgment_ids}
    rows = db.query(
        "SELECT judgment_id, question_key, value FROM judgment_answers "
        "WHERE judgment_id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
        [json.dumps(judgment_ids)],
    )
    for row in rows:
        found[row["judgment_id"]][row["question_key"]] = json.loads(row["value"])
    return {j: answers_from_json(values) for j, values in found.items()}


def judgment_of(
    row: dict[str, Any],
    flaws: tuple[ReportedFlaw, ...],
    answers: tuple[RubricAnswer, ...] = (),
    ordering: Ordering | None = None,
) -> Judgment:
    """A row of `judgments` with its flaws (in their order), answers and ordering (a compare
    or rank item's) as its record."""
    return Judgment(
        id=row["id"],
        study_item_id=row["study_item_id"],
        evaluator_id=row["evaluator_id"],
        stage=Stage(row["stage"]),
        form=JudgmentForm(
            verdict=Verdict(row["verdict"]) if row["verdict"] else None,
            quality=row["quality"],
            confidence=row["confidence"],
            flaws=flaws,
            rationale=row["rationale"],
            active_ms=row["active_ms"],
            answers=answers,
            ordering=ordering,
        ),
        skipped_reason=row["skipped_reason"],
        condition=Condition(row["condition"]) if row["condition"] else None,
        supersedes_id=row["supersedes_id"],
        created_at=row["created_at"],
    )


def flaw_of(row: dict[str, Any]) -> ReportedFlaw:
    """A row of `judgment_flaws` as its record."""
    lines = LineRange(row["line_start"], row["line_end"]) if row["line_start"] else None
    span = Span(row["span_start"], row["span_end"]) if row["span_start"] is not None else None
    return ReportedFlaw(
        severity=Severity(row["severity"]),
        description=row["description"],
        lines=lines,
        span=span,
        source=FlawSource(row["source"]),
        assist_event_id=row["assist_event_id"],
        point_index=row["point_index"],
    )


def save_draft(
    db: Database, evaluator_id: str, item_id: str, stage: Stage, form: JudgmentForm, at: str
) -> None:
    db.table("drafts").upsert(
        {
            "evaluator_id": evaluator_id,
            "study_item_id": item_id,
            "stage": stage.value,
            "form": json.dumps(form.to_json()),
            "saved_at": at,
        },
        pk=("evaluator_id", "study_item_id"),
    )


def draft(db: Database, evaluator_id: str, item_id: str) -> tuple[Stage, JudgmentForm] | None:
    rows = list(
        db.query(
            "SELECT stage, form FROM drafts WHERE evaluator_id = ? AND study_item_id = ?",
            [evaluator_id, item_id],
        )
    )
    if not rows:
        return None
    return Stage(rows[0]["stage"]), JudgmentForm.from_json(json.loads(rows[0]["form"]))


def draft_saved_at(db: Database, evaluator_id: str, item_id: str) -> str | None:
    """When the evaluator's draft of the item was last saved (UTC, ISO 8601); None: no draft."""
    rows = list(
        db.query(
            "SELECT saved_at FROM drafts WHERE evaluator_id = ? AND study_item_id = ?",
            [evaluator_id, item_id],
        )
    )
    return str(rows[0]["saved_at"]) if rows else None


def drop_draft(db: Database, evaluator_id: str, item_id: str) -> None:
    db.execute(
        "DELETE FROM drafts WHERE evaluator_id = ? AND study_item_id = ?", [evaluator_id, item_id]
    )
