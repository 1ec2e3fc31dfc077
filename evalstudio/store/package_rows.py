"""Rows of one evaluator's share of a study, read from the owner's workspace for a session
package, and written into the package as they are given (the blinding is the caller's).

Item and id lists are passed as JSON arrays (`json_each`), so a 10,000-item queue is one
statement, not 10,000.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]

_BATCH = 500
_IN_ITEMS = "(SELECT value FROM json_each(:items))"


def _rows(db: Database, sql: str, params: dict[str, Any]) -> list[Row]:
    return [dict(r) for r in db.query(sql, params)]


def one_row(db: Database, table: str, key: str, value: str) -> Row | None:
    rows = _rows(db, f"SELECT * FROM [{table}] WHERE [{key}] = :v", {"v": value})
    return rows[0] if rows else None


def queue_rows(db: Database, study_id: str, evaluator_id: str) -> list[Row]:
    """The evaluator's assignments in the study, in queue order."""
    return _rows(
        db,
        "SELECT * FROM assignments WHERE study_id = :s AND evaluator_id = :e ORDER BY position",
        {"s": study_id, "e": evaluator_id},
    )


def study_item_ids(db: Database, study_id: str) -> list[str]:
    rows = db.query("SELECT id FROM study_items WHERE study_id = ? ORDER BY position", [study_id])
    return [r["id"] for r in rows]


def content_rows(db: Database, item_ids: list[str]) -> dict[str, list[Row]]:
    """The tasks, candidates and study items behind the items, in the items' order (a task
    where its first item is): the owner's order is their file's, where twins sit side by
    side, often the correct one first."""
    items = {"items": json.dumps(item_ids)}
    queued = (
        "FROM json_each(:items) q JOIN study_items si ON si.id = q.value "
        "JOIN candidates c ON c.id = si.candidate_id"
    )
    return {
        "tasks": _rows(
            db,
            f"SELECT t.* FROM (SELECT c.task_id, min(q.key) AS first {queued} "
            "GROUP BY c.task_id) f JOIN tasks t ON t.id = f.task_id ORDER BY f.first",
            items,
        ),
        "candidates": _rows(db, f"SELECT c.* {queued} GROUP BY c.id ORDER BY min(q.key)", items),
        "study_items": _rows(
            db,
            "SELECT si.* FROM json_each(:items) q JOIN study_items si ON si.id = q.value "
            "ORDER BY q.key",
            items,
        ),
    }


def work_rows(db: Database, evaluator_id: str, item_ids: list[str]) -> dict[str, list[Row]]:
    """The evaluator's own work on the items, oldest first (a row's references come before it):
    requests, judgments with their flaws and retractions, drafts, review events."""
    params = {"items": json.dumps(item_ids), "e": evaluator_id}
    mine = f"evaluator_id = :e AND study_item_id IN {_IN_ITEMS}"
    judged = f"(SELECT id FROM judgments WHERE {mine})"
    return {
        "assist_events": _rows(
            db, f"SELECT * FROM assist_events WHERE {mine} ORDER BY rowid", params
        ),
        "judgments": _rows(db, f"SELECT * FROM judgments WHERE {mine} ORDER BY rowid", params),
        "judgment_flaws": _rows(
            db, f"SELECT * FROM judgment_flaws WHERE judgment_id IN {judged}", params
        ),
        "judgment_retractions": _rows(
            db,
            f"SELECT * FROM judgment_retractions WHERE judgment_id IN {judged} ORDER BY rowid",
            params,
        ),
        "drafts": _rows(db, f"SELECT * FROM drafts WHERE {mine}", params),
        "review_events": _rows(
            db, f"SELECT * FROM review_events WHERE {mine} ORDER BY rowid", params
        ),
    }


def stored_responses(
    db: Database, item_ids: list[str], prepared_for: str | None = None
) -> list[Row]:
    """The newest finished pre-generated response of each kind for each item: the shared ones,
    or those prepared for `prepared_for`."""
    who = "prepared_for = :e" if prepared_for else "prepared_for IS NULL"
    return _rows(
        db,
        f"""
        SELECT * FROM assist_events WHERE rowid IN (
            SELECT rowid FROM (
                SELECT rowid, row_number() OVER (
                    PARTITION BY study_item_id, kind ORDER BY requested_at DESC, rowid DESC
                ) AS newest
                FROM assist_events
                WHERE pregenerated = 1 AND outcome = 'done' AND {who}
                AND study_item_id IN {_IN_ITEMS}
            ) WHERE newest = 1
        ) ORDER BY rowid
        """,
        {"items": json.dumps(item_ids), "e": prepared_for},
    )


def events_by_id(db: Database, ids: Iterable[str]) -> list[Row]:
    return _rows(
        db,
        "SELECT * FROM assist_events WHERE id IN (SELECT value FROM json_each(:ids)) "
        "ORDER BY rowid",
        {"ids": json.dumps(sorted(set(ids)))},
    )


def insert_rows(db: Database, table: str, rows: list[Row]) -> None:
    """Write rows as given, in order (call inside a transaction)."""
    if rows:
        db.table(table).insert_all(rows, batch_size=_BATCH)
