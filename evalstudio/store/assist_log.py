"""Rows of the assistance log (one per request) and the cache of model file hashes."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome


def start_event(db: Database, row: dict[str, Any]) -> None:
    """Write the row of a request that is starting (outcome 'running')."""
    row = {
        **row,
        "messages": json.dumps(row["messages"]),
        "params": json.dumps(row["params"]),
        "chat": json.dumps(row["chat"]) if row.get("chat") is not None else None,
    }
    db.table("assist_events").insert(row)


def update_running(db: Database, event_id: str, fields: dict[str, Any]) -> None:
    """Fill in a running request's fields (first token, end); the row freezes once ended."""
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.execute(
        f"UPDATE assist_events SET {assignments} WHERE id = :id AND outcome = 'running'",
        {**fields, "id": event_id},
    )


def _event(row: dict[str, Any]) -> AssistEvent:
    params = json.loads(row["params"]) if row["params"] else {}
    return AssistEvent(
        id=row["id"],
        study_item_id=row["study_item_id"],
        evaluator_id=row["evaluator_id"],
        kind=AssistKind(row["kind"]),
        outcome=Outcome(row["outcome"]),
        response=row["response"],
        error=row["error"],
        model_id=row["model_id"],
        seed=row["seed"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        requested_at=row["requested_at"],
        first_token_at=row["first_token_at"],
        ended_at=row["ended_at"],
        manipulated=bool(row["manipulated"]),
        pregenerated=bool(row["pregenerated"]),
        chat=tuple(json.loads(row["chat"])) if row["chat"] else (),
        side=params.get("side"),
        shown=tuple(params.get("shown", ())),
    )


def event(db: Database, event_id: str) -> AssistEvent | None:
    rows = list(db.query("SELECT * FROM assist_events WHERE id = ?", [event_id]))
    return _event(rows[0]) if rows else None


def event_row(db: Database, event_id: str) -> dict[str, Any] | None:
    """The raw row, messages and params decoded (for logs and tests)."""
    rows = list(db.query("SELECT * FROM assist_events WHERE id = ?", [event_id]))
    if not rows:
        return None
    row = dict(rows[0])
    row["messages"] = json.loads(row["messages"])
    row["params"] = json.loads(row["params"])
    row["chat"] = json.loads(row["chat"]) if row["chat"] is not None else None
    return row


def answered(db: Database, item_id: str, request_sha256: str) -> dict[str, Any] | None:
    """The first finished, computed (not replayed) response to exactly this request."""
    rows = list(
        db.query(
            "SELECT * FROM assist_events WHERE study_item_id = ? AND request_sha256 = ? "
            "AND outcome = 'done' AND reused_from IS NULL ORDER BY requested_at LIMIT 1",
            [item_id, request_sha256],
        )
    )
    return rows[0] if rows else None


def pregenerated(
    db: Database,
    item_id: str,
    kind: AssistKind,
    model_id: str | None,
    prepared_for: str | None = None,
) -> AssistEvent | None:
    """The newest finished pre-generated response of this kind for the item, by this model
    (any, if None): the shared one, or the one prepared for the evaluator `prepared_for`."""
    rows = list(
        db.query(
            "SELECT * FROM assist_events WHERE study_item_id = ? AND kind = ? "
            "AND coalesce(?, model_id) = model_id AND prepared_for IS ? "
            "AND pregenerated = 1 AND outcome = 'done' "
            "ORDER BY requested_at DESC, rowid DESC LIMIT 1",
            [item_id, kind.value, model_id, prepared_for],
        )
    )
    return _event(rows[0]) if rows else None


def events_of_item(
    db: Database, item_id: str, evaluator_id: str | None = None
) -> list[AssistEvent]:
    """The item's requests in order; only one evaluator's if `evaluator_id` is given."""
    sql = "SELECT * FROM assist_events WHERE study_item_id = ?"
    args = [item_id]
    if evaluator_id is not None:
        sql += " AND evaluator_id = ?"
        args.append(evaluator_id)
    return [_event(r) for r in db.query(sql + " ORDER BY requested_at, rowid", args)]


def cached_sha256(db: Database, path: str, size: int, mtime_ns: int) -> str | None:
    rows = list(
        db.query(
            "SELECT sha256 FROM model_files WHERE path = ? AND size = ? AND mtime_ns = ?",
            [path, size, mtime_ns],
        )
    )
    return str(rows[0]["sha256"]) if rows else None


def cache_sha256(db: Database, path: str, size: int, mtime_ns: int, sha256: str) -> None:
    db.table("model_files").insert(
        {"path": path, "size": size, "mtime_ns": mtime_ns, "sha256": sha256}, replace=True
    )


def manipulation_exposure(db: Database, study_id: str) -> dict[tuple[str, str], bool]:
    """(evaluator, item) → whether any response the evaluator got on the item was manipulated,
    for every pair with at least one finished response: asked for, or pre-generated and shown
    (the misleading condition's prepared responses are)."""
    rows = db.query(
        "SELECT evaluator_id, study_item_id, max(manipulated) AS manipulated FROM ("
        "SELECT e.evaluator_id, e.study_item_id, e.manipulated "
        "FROM assist_events e JOIN study_items si ON si.id = e.study_item_id "
        "WHERE si.study_id = ? AND e.evaluator_id IS NOT NULL AND e.outcome = 'done' "
        "UNION ALL "
        "SELECT r.evaluator_id, r.study_item_id, e.manipulated FROM review_events r "
        "JOIN assist_events e ON e.id = r.assist_event_id "
        "JOIN study_items si ON si.id = r.study_item_id "
        "WHERE si.study_id = ? AND r.kind = 'show_response') "
        "GROUP BY evaluator_id, study_item_id",
        [study_id, study_id],
    )
    return {(r["evaluator_id"], r["study_item_id"]): bool(r["manipulated"]) for r in rows}


def critiques_seen(
    db: Database, study_id: str
) -> dict[tuple[str, str], list[tuple[str, str, bool]]]:
    """(evaluator, item) → (event id, response, manipulated) of every finished critique the
    evaluator got on the item: asked for, or pre-generated and shown to them."""
    rows = db.query(
        "SELECT e.id, e.evaluator_id, e.study_item_id, e.response, e.manipulated "
        "FROM assist_events e JOIN study_items si ON si.id = e.study_item_id "
        "WHERE si.study_id = ? AND e.kind = 'critique' AND e.outcome = 'done' "
        "AND e.evaluator_id IS NOT NULL "
        "UNION ALL "
        "SELECT e.id, r.evaluator_id, r.study_item_id, e.response, e.manipulated "
        "FROM review_events r JOIN assist_events e ON e.id = r.assist_event_id "
        "JOIN study_items si ON si.id = r.study_item_id "
        "WHERE si.study_id = ? AND r.kind = 'show_response' AND e.kind = 'critique'",
        [study_id, study_id],
    )
    seen: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    for r in rows:
        key = (r["evaluator_id"], r["study_item_id"])
        seen.setdefault(key, []).append((r["id"], r["response"], bool(r["manipulated"])))
    return seen


def usage_of_study(db: Database, study_id: str) -> dict[tuple[str, str], dict[str, int]]:
    """(evaluator, item) → requests per kind, "tokens" (completion tokens of those requests)
    and "shown" (pre-generated responses shown), for every item the evaluator used help on."""
    usage: dict[tuple[str, str], dict[str, int]] = {}
    rows = db.query(
        "SELECT e.evaluator_id, e.study_item_id, e.kind, count(*) AS n, "
        "coalesce(sum(e.completion_tokens), 0) AS tokens "
        "FROM assist_events e JOIN study_items si ON si.id = e.study_item_id "
        "WHERE si.study_id = ? AND e.evaluator_id IS NOT NULL "
        "GROUP BY e.evaluator_id, e.study_item_id, e.kind",
        [study_id],
    )
    for r in rows:
        entry = usage.setdefault((r["evaluator_id"], r["study_item_id"]), {})
        entry[r["kind"]] = r["n"]
        entry["tokens"] = entry.get("tokens", 0) + r["tokens"]
    shown = db.query(
        "SELECT r.evaluator_id, r.study_item_id, count(*) AS n FROM review_events r "
        "JOIN study_items si ON si.id = r.study_item_id "
        "WHERE si.study_id = ? AND r.kind = 'show_response' "
        "GROUP BY r.evaluator_id, r.study_item_id",
        [study_id],
    )
    for r in shown:
        usage.setdefault((r["evaluator_id"], r["study_item_id"]), {})["shown"] = r["n"]
    return usage


def token_totals(db: Database, evaluator_ids: list[str]) -> dict[str, int]:
    """Prompt and completion tokens of the finished requests of these evaluators and of the
    honest critiques their flipped responses were made from (a replayed request counts the
    tokens of the one it replays)."""
    rows = list(
        db.query(
            "WITH mine AS (SELECT id, basis_id FROM assist_events "
            "WHERE evaluator_id IN (SELECT value FROM json_each(:ids)) AND outcome = 'done') "
            "SELECT coalesce(sum(prompt_tokens), 0) AS prompt, "
            "coalesce(sum(completion_tokens), 0) AS completion FROM assist_events "
            "WHERE id IN (SELECT id FROM mine) OR id IN (SELECT basis_id FROM mine)",
            {"ids": json.dumps(evaluator_ids)},
        )
    )
    return {"prompt": rows[0]["prompt"], "completion": rows[0]["completion"]}
