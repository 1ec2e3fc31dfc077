"""The SQL of a merge: the checked copy of the incoming file is attached as `incoming`, its rows
in scope are read beside the workspace's rows under the same keys, and what is new is written
into `main`. Whether a row is new, the same or in conflict is merge_tables.py's decision.

The scope (core/session_merge.py's MergeScope) is the incoming rows on items of the merged
studies (`:studies`, a JSON array of ids); from a package (`:package` = 1) without its
pre-generated responses, which are the owner's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from evalstudio.core.model import StudyItem
from evalstudio.core.session_merge import IncomingStudy, MergeScope
from evalstudio.store.content import SLOTS, study_item_of
from evalstudio.store.schema_shape import columns, quoted

Row = dict[str, Any]
Key = tuple[Any, ...]

_ITEMS = (
    "study_item_id IN (SELECT id FROM incoming.study_items "
    "WHERE study_id IN (SELECT value FROM json_each(:studies)))"
)
_JUDGED = f"judgment_id IN (SELECT id FROM incoming.judgments WHERE {_ITEMS})"
_EVENTS = f"{_ITEMS} AND (:package = 0 OR pregenerated = 0)"
_PEOPLE = " UNION ".join(
    [
        f"SELECT evaluator_id FROM incoming.{table} WHERE {_ITEMS}"
        for table in ("judgments", "review_events", "drafts")
    ]
    + [
        f"SELECT evaluator_id FROM incoming.assist_events WHERE {_EVENTS}",
        f"SELECT prepared_for FROM incoming.assist_events WHERE {_EVENTS}",
    ]
)
SCOPE = {
    "evaluators": f"id IN ({_PEOPLE})",
    "assist_events": _EVENTS,
    "judgments": _ITEMS,
    "judgment_flaws": _JUDGED,
    "judgment_answers": _JUDGED,
    "judgment_orders": _JUDGED,
    "judgment_retractions": _JUDGED,
    "review_events": _ITEMS,
    "drafts": _ITEMS,
}
KEYS = {
    "evaluators": ("id",),
    "assist_events": ("id",),
    "judgments": ("id",),
    "judgment_flaws": ("judgment_id", "position"),
    "judgment_answers": ("judgment_id", "question_key"),
    "judgment_orders": ("judgment_id",),
    "judgment_retractions": ("id",),
    "review_events": ("id",),
    "drafts": ("evaluator_id", "study_item_id"),
}
# Work rows that name an item or an evaluator: what a package may hold only of its own.
_WORK = ("judgments", "review_events", "drafts")


@contextmanager
def attached(db: Database, path: Path) -> Iterator[None]:
    """`path` readable as the schema `incoming` for the block (outside any transaction)."""
    db.execute("ATTACH DATABASE ? AS incoming", [str(path)])
    try:
        yield
    finally:
        db.execute("DETACH DATABASE incoming")


def _params(scope: MergeScope) -> dict[str, Any]:
    return {"studies": json.dumps(list(scope.studies)), "package": int(scope.package)}


def incoming_studies(db: Database) -> list[IncomingStudy]:
    """The incoming file's studies, each with whether the workspace has it."""
    return [
        IncomingStudy(r["id"], r["name"], bool(r["here"]))
        for r in db.query(
            "SELECT s.id, s.name, EXISTS (SELECT 1 FROM main.studies t WHERE t.id = s.id) AS here "
            "FROM incoming.studies s ORDER BY s.created_at"
        )
    ]


def key_of(table: str, row: Row) -> Key:
    return tuple(row[k] for k in KEYS[table])


def _names(db: Database, table: str) -> str:
    """The workspace's own columns of `table`, quoted: no name from an incoming file ever
    reaches a statement (the file's schema was checked to be the same, store/schema_shape.py)."""
    return ", ".join(quoted(c) for c in columns(db, table))


def incoming_rows(db: Database, table: str, scope: MergeScope) -> list[Row]:
    """The incoming rows of `table` in scope, oldest first (references before referrers)."""
    sql = f"SELECT {_names(db, table)} FROM incoming.{table} WHERE {SCOPE[table]} ORDER BY rowid"
    return [dict(r) for r in db.query(sql, _params(scope))]


def existing_rows(db: Database, table: str, scope: MergeScope) -> dict[Key, Row]:
    """The workspace's rows under the keys of the incoming rows in scope."""
    keys = ", ".join(KEYS[table])
    sql = (
        f"SELECT {_names(db, table)} FROM main.{table} WHERE ({keys}) IN "
        f"(SELECT {keys} FROM incoming.{table} WHERE {SCOPE[table]})"
    )
    return {key_of(table, dict(r)): dict(r) for r in db.query(sql, _params(scope))}


def foreign_work(db: Database, scope: MergeScope, evaluator_id: str) -> dict[str, int]:
    """Rows a package holds that are not its evaluator's work on its study: table → count."""
    found = {}
    for table in _WORK:
        n = db.execute(
            f"SELECT count(*) FROM incoming.{table} WHERE evaluator_id <> :e OR NOT ({_ITEMS})",
            {**_params(scope), "e": evaluator_id},
        ).fetchone()[0]
        if n:
            found[table] = n
    n = db.execute(
        "SELECT count(*) FROM incoming.assist_events WHERE pregenerated = 0 AND "
        f"(evaluator_id IS NOT :e OR study_item_id IS NULL OR NOT ({_ITEMS}))",
        {**_params(scope), "e": evaluator_id},
    ).fetchone()[0]
    if n:
        found["assist_events"] = n
    return found


def outside_queue(db: Database, scope: MergeScope, evaluator_id: str) -> dict[str, int]:
    """A package's work on items the workspace's plan does not give its evaluator: table →
    count. An evaluator the plan assigns nothing reviews every item, so nothing is outside."""
    queue = (
        "SELECT study_item_id FROM main.assignments WHERE evaluator_id = :e "
        "AND study_id IN (SELECT value FROM json_each(:studies))"
    )
    found = {}
    for table in (*_WORK, "assist_events"):
        n = db.execute(
            f"SELECT count(*) FROM incoming.{table} WHERE {SCOPE[table]} "
            f"AND study_item_id NOT IN ({queue}) AND EXISTS ({queue})",
            {**_params(scope), "e": evaluator_id},
        ).fetchone()[0]
        if n:
            found[table] = n
    return found


def unknown_items(db: Database, scope: MergeScope) -> list[str]:
    """Ids of incoming items with work on them that the workspace does not hold in the same
    study."""
    used = " UNION ".join(
        f"SELECT study_item_id FROM incoming.{table} WHERE {SCOPE[table]}"
        for table in ("judgments", "review_events", "drafts", "assist_events")
    )
    rows = db.query(
        f"SELECT s.id FROM incoming.study_items s WHERE s.id IN ({used}) AND NOT EXISTS "
        "(SELECT 1 FROM main.study_items t WHERE t.id = s.id AND t.study_id = s.study_id)",
        _params(scope),
    )
    return [r["id"] for r in rows]


def unresolved_references(db: Database, scope: MergeScope) -> list[tuple[str, str]]:
    """(table, id) of references in incoming rows that resolve neither in the workspace nor
    among the incoming rows merged with them."""
    events = (
        f"SELECT id FROM incoming.assist_events WHERE {_EVENTS} "
        "UNION SELECT id FROM main.assist_events"
    )
    judged = f"SELECT id FROM incoming.judgments WHERE {_ITEMS} UNION SELECT id FROM main.judgments"
    sql = f"""
        SELECT 'judgment_flaws' AS t, assist_event_id AS ref FROM incoming.judgment_flaws
            WHERE {_JUDGED} AND assist_event_id IS NOT NULL AND assist_event_id NOT IN ({events})
        UNION ALL
        SELECT 'review_events', assist_event_id FROM incoming.review_events
            WHERE {_ITEMS} AND assist_event_id IS NOT NULL AND assist_event_id NOT IN ({events})
        UNION ALL
        SELECT 'assist_events', regenerates_id FROM incoming.assist_events
            WHERE {_EVENTS} AND regenerates_id IS NOT NULL AND regenerates_id NOT IN ({events})
        UNION ALL
        SELECT 'judgments', supersedes_id FROM incoming.judgments
            WHERE {_ITEMS} AND supersedes_id IS NOT NULL AND supersedes_id NOT IN ({judged})
    """
    return [(r["t"], r["ref"]) for r in db.query(sql, _params(scope))]


def assigned_conditions(db: Database, scope: MergeScope) -> dict[tuple[str, str], str]:
    """(evaluator, item) → the condition the workspace's plan assigns, in the merged studies."""
    rows = db.query(
        "SELECT evaluator_id, study_item_id, condition FROM main.assignments "
        "WHERE study_id IN (SELECT value FROM json_each(:studies))",
        _params(scope),
    )
    return {(r["evaluator_id"], r["study_item_id"]): r["condition"] for r in rows}


def answerable_judgments(db: Database, judgment_ids: list[str]) -> dict[str, tuple[str, str]]:
    """The study and item layout of each incoming judgment that can carry rubric answers (by
    its item, which the workspace holds): final judgments, not skips."""
    rows = db.query(
        "SELECT j.id, si.study_id, si.layout FROM incoming.judgments j "
        "JOIN main.study_items si ON si.id = j.study_item_id "
        "WHERE j.id IN (SELECT value FROM json_each(?)) "
        "AND j.stage = 'final' AND j.skipped_reason IS NULL",
        [json.dumps(sorted(set(judgment_ids)))],
    )
    return {r["id"]: (r["study_id"], r["layout"]) for r in rows}


def judged_items(db: Database, item_ids: list[str]) -> dict[str, StudyItem]:
    """The workspace's items of these ids, with their layout and (compare, rank) slots."""
    rows = db.query(
        f"SELECT si.*, {SLOTS} AS slots FROM main.study_items si "
        "WHERE si.id IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(set(item_ids)))],
    )
    return {r["id"]: study_item_of(r) for r in rows}


def retracted(db: Database, judgment_ids: list[str]) -> set[str]:
    """Which of the judgments the workspace has a retraction of."""
    rows = db.query(
        "SELECT judgment_id FROM main.judgment_retractions "
        "WHERE judgment_id IN (SELECT value FROM json_each(?))",
        [json.dumps(judgment_ids)],
    )
    return {r["judgment_id"] for r in rows}


def _insert_sql(db: Database, table: str, verb: str) -> tuple[str, list[str]]:
    """The statement that writes a row of the workspace's `table`, and the columns it takes in
    order (values are passed by position, never named after a row's keys)."""
    names = columns(db, table)
    marks = ", ".join("?" for _ in names)
    listed = ", ".join(quoted(c) for c in names)
    return f"{verb} INTO main.{table} ({listed}) VALUES ({marks})", names


def insert(db: Database, table: str, rows: list[Row]) -> None:
    """Append rows to the workspace's table (inside the merge's transaction)."""
    if not rows:
        return
    sql, names = _insert_sql(db, table, "INSERT")
    db.conn.executemany(sql, ([row[c] for c in names] for row in rows))


def replace_draft(db: Database, row: Row) -> None:
    """Drafts are the one table replaced in place: the newer draft of an item wins."""
    sql, names = _insert_sql(db, "drafts", "INSERT OR REPLACE")
    db.execute(sql, [row[c] for c in names])


def newest_final_judgments(db: Database, keys: list[tuple[str, str]]) -> dict[Key, str]:
    """(evaluator, item) → when the newest final judgment on it was made, in the workspace."""
    rows = db.query(
        "SELECT evaluator_id, study_item_id, max(created_at) AS at FROM main.judgments "
        "WHERE stage = 'final' AND (evaluator_id, study_item_id) IN "
        "(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
        "FROM json_each(?)) GROUP BY evaluator_id, study_item_id",
        [json.dumps(keys)],
    )
    return {(r["evaluator_id"], r["study_item_id"]): r["at"] for r in rows}


def drafts_of(db: Database, keys: list[tuple[str, str]]) -> dict[Key, Row]:
    rows = db.query(
        "SELECT * FROM main.drafts WHERE (evaluator_id, study_item_id) IN "
        "(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))",
        [json.dumps(keys)],
    )
    return {(r["evaluator_id"], r["study_item_id"]): dict(r) for r in rows}


def drop_draft(db: Database, evaluator_id: str, item_id: str) -> None:
    db.execute(
        "DELETE FROM main.drafts WHERE evaluator_id = ? AND study_item_id = ?",
        [evaluator_id, item_id],
    )


def retraction_positions(db: Database, retraction_ids: list[str]) -> list[tuple[str, str, int]]:
    """(evaluator, study, lowest item position) over the given retractions, in the workspace."""
    rows = db.query(
        "SELECT j.evaluator_id, si.study_id, min(si.position) AS position "
        "FROM main.judgment_retractions r JOIN main.judgments j ON j.id = r.judgment_id "
        "JOIN main.study_items si ON si.id = j.study_item_id "
        "WHERE r.id IN (SELECT value FROM json_each(?)) GROUP BY j.evaluator_id, si.study_id",
        [json.dumps(retraction_ids)],
    )
    return [(r["evaluator_id"], r["study_id"], r["position"]) for r in rows]


def record_conflicts(db: Database, rows: list[Row]) -> int:
    """Keep incoming rows in conflict in `merge_conflicts`; a row recorded before is not
    recorded again. Returns how many are new."""
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO main.merge_conflicts (id, table_name, row_key, columns, row, "
        "row_sha256, source, merged_at) VALUES (:id, :table_name, :row_key, :columns, :row, "
        ":row_sha256, :source, :merged_at)",
        rows,
    )
    return db.conn.total_changes - before


@contextmanager
def transaction(db: Database) -> Iterator[None]:
    """The merge's one transaction; references are checked when it commits, not row by row."""
    with db.atomic():
        db.execute("PRAGMA defer_foreign_keys = ON")
        yield
