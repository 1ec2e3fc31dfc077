"""Rows of model evaluators (their frozen profiles), the requests they made to their own model
(`judge_calls`), and sandwiching sweeps (`sandwich_runs`, one `sandwich_cells` row per
(p, repeat), each played by a model evaluator). Table docs: migration m010."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from evalstudio.core.model_evaluator import JudgeCall
from evalstudio.core.review import Stage


def insert_profile(db: Database, evaluator_id: str, profile: dict[str, Any], at: str) -> None:
    db.table("model_evaluators").insert(
        {"evaluator_id": evaluator_id, "settings": json.dumps(profile), "created_at": at}
    )


def profile(db: Database, evaluator_id: str) -> dict[str, Any] | None:
    rows = list(
        db.query("SELECT settings FROM model_evaluators WHERE evaluator_id = ?", [evaluator_id])
    )
    return json.loads(rows[0]["settings"]) if rows else None


def insert_call(db: Database, call: JudgeCall) -> None:
    request = call.request
    db.table("judge_calls").insert(
        {
            "id": request.id,
            "evaluator_id": request.evaluator_id,
            "study_item_id": request.study_item_id,
            "stage": request.stage.value,
            "messages": json.dumps(request.messages),
            "params": json.dumps(request.params),
            "seed": request.seed,
            "request_sha256": request.request_sha256,
            "reused_from": request.reused_from,
            "requested_at": request.requested_at,
            "response": call.response,
            "outcome": call.outcome.value,
            "error": call.error,
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": call.completion_tokens,
            "judgment_id": call.judgment_id,
            "ended_at": call.ended_at,
            "served_by": call.served_by,
        }
    )


def answered_call(db: Database, request_sha256: str) -> dict[str, Any] | None:
    """The first finished, computed (not replayed) judge call of exactly this request."""
    rows = list(
        db.query(
            "SELECT * FROM judge_calls WHERE request_sha256 = ? AND outcome = 'done' "
            "AND reused_from IS NULL ORDER BY requested_at LIMIT 1",
            [request_sha256],
        )
    )
    return rows[0] if rows else None


def last_reply(db: Database, evaluator_id: str, item_id: str, stage: Stage) -> str | None:
    """The reply of the evaluator's newest judge call at `stage` that became a judgment."""
    rows = list(
        db.query(
            "SELECT response FROM judge_calls WHERE evaluator_id = ? AND study_item_id = ? "
            "AND stage = ? AND judgment_id IS NOT NULL ORDER BY requested_at DESC LIMIT 1",
            [evaluator_id, item_id, stage.value],
        )
    )
    return rows[0]["response"] if rows else None


def call_totals(db: Database, evaluator_ids: list[str]) -> dict[str, dict[str, float]]:
    """Evaluator → finished judge calls, tokens in and out (a replayed call counts the tokens
    of the call it replays)."""
    rows = db.query(
        "SELECT evaluator_id, count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt, "
        "coalesce(sum(completion_tokens), 0) AS completion FROM judge_calls "
        "WHERE evaluator_id IN (SELECT value FROM json_each(?)) AND outcome = 'done' "
        "GROUP BY evaluator_id",
        [json.dumps(evaluator_ids)],
    )
    return {r["evaluator_id"]: dict(r) for r in rows}


def run_by_digest(db: Database, study_id: str, digest: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT * FROM sandwich_runs WHERE study_id = ? AND settings_sha256 = ?",
            [study_id, digest],
        )
    )
    return rows[0] if rows else None


def insert_run(db: Database, row: dict[str, Any]) -> None:
    db.table("sandwich_runs").insert(row)


def runs_of_study(db: Database, study_id: str) -> list[dict[str, Any]]:
    """The study's sweeps, oldest first, settings decoded."""
    rows = db.query(
        "SELECT * FROM sandwich_runs WHERE study_id = ? ORDER BY created_at", [study_id]
    )
    return [r | {"settings": json.loads(r["settings"])} for r in rows]


def insert_cell(db: Database, run_id: str, p: float, repeat: int, evaluator_id: str) -> None:
    db.table("sandwich_cells").insert(
        {"run_id": run_id, "p": p, "repeat": repeat, "evaluator_id": evaluator_id}
    )


def cells(db: Database, run_id: str) -> list[dict[str, Any]]:
    """(p, repeat, evaluator_id) of the run's cells, by p then repeat."""
    return list(
        db.query(
            "SELECT p, repeat, evaluator_id FROM sandwich_cells WHERE run_id = ? "
            "ORDER BY p, repeat",
            [run_id],
        )
    )
