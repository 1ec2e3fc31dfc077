"""One evaluator's share of a study, copied from the owner's workspace into a session package
through the package's allow-list and blinded on the way (docs/session-packages.md).

PACKAGE_COLUMNS is the only way a row of the owner's reaches a package: every read of the
share selects only the columns it lists, and every write takes only those. A table not listed
gets none of the owner's rows and a column not listed keeps its declared default, whatever the
owner's row holds; so a table or column added to the schema stays out of packages until it is
listed here (tests/services/test_session_package.py holds this list to its own).

Item and id lists are passed as JSON arrays (`json_each`), so a 10,000-item queue is one
statement, not 10,000.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from evalstudio.core.comparison import sides_order
from evalstudio.core.review import Condition
from evalstudio.core.session_package import (
    KEPT_PARAMS,
    PackageShare,
    StoredResponse,
    package_condition,
)
from evalstudio.store.content import SLOTS, slots_of
from evalstudio.store.designs import design_of
from evalstudio.store.schema_shape import declared_defaults, quoted

Row = dict[str, Any]

# Table → the columns a package carries; tables in the order they are written (a row's
# references come first). Left out: the answer key (a candidate's truth, planted flaw and gold
# mark; the study's misleading share), and how a response was made (whether and how it was
# manipulated, its prompt token count, whom it was prepared for, the honest critique a flip
# argued against, the digest of its request and the response it replays, the server that
# answered).
PACKAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "studies": ("id", "name", "guidelines", "created_at", "commit_before_reveal"),
    "tasks": (
        "id",
        "study_id",
        "external_id",
        "prompt",
        "kind",
        "language",
        "reference",
        "conversation",
    ),
    "candidates": ("id", "task_id", "external_id", "text"),
    "study_items": ("id", "study_id", "candidate_id", "external_id", "position", "layout"),
    "item_sides": ("study_item_id", "slot", "candidate_id"),
    "evaluators": ("id", "name", "kind", "created_at"),
    "assignments": (
        "study_id",
        "evaluator_id",
        "position",
        "study_item_id",
        "condition",
        "sides",
    ),
    "assist_events": (
        "id",
        "study_item_id",
        "evaluator_id",
        "kind",
        "regenerates_id",
        "chat",
        "messages",
        "backend",
        "model_id",
        "model_sha256",
        "params",
        "seed",
        "requested_at",
        "first_token_at",
        "ended_at",
        "completion_tokens",
        "outcome",
        "error",
        "response",
        "pregenerated",
    ),
    "judgments": (
        "id",
        "study_item_id",
        "evaluator_id",
        "verdict",
        "skipped_reason",
        "supersedes_id",
        "created_at",
        "stage",
        "condition",
        "quality",
        "confidence",
        "rationale",
        "active_ms",
    ),
    "judgment_flaws": (
        "judgment_id",
        "position",
        "severity",
        "description",
        "line_start",
        "line_end",
        "span_start",
        "span_end",
        "source",
        "assist_event_id",
        "point_index",
    ),
    "judgment_answers": ("judgment_id", "question_key", "value"),
    "judgment_orders": ("judgment_id", "tiers", "strength"),
    "judgment_retractions": ("id", "judgment_id", "created_at"),
    "drafts": ("evaluator_id", "study_item_id", "stage", "form", "saved_at"),
    "review_events": (
        "id",
        "evaluator_id",
        "study_item_id",
        "kind",
        "assist_event_id",
        "point_index",
        "mark",
        "at",
    ),
}
# The messages of a display copy. A real request always has a system message, so an event
# with these messages came from the owner's workspace, not from the package's own requests.
DISPLAY_MESSAGES = "[]"

_BATCH = 500
_IN_ITEMS = "(SELECT value FROM json_each(:items))"
_STORED = "id, study_item_id, kind, requested_at, backend, model_id, params"


def _stored(db: Database, sql: str, params: dict[str, Any]) -> list[StoredResponse]:
    return [
        StoredResponse(
            id=r["id"],
            study_item_id=r["study_item_id"],
            kind=r["kind"],
            requested_at=r["requested_at"],
            backend=r["backend"],
            model_id=r["model_id"],
            params=json.loads(r["params"]),
        )
        for r in db.query(sql, params)
    ]


# -- what the package writer decides by ---------------------------------------------------------


def study_item_ids(db: Database, study_id: str) -> list[str]:
    rows = db.query("SELECT id FROM study_items WHERE study_id = ? ORDER BY position", [study_id])
    return [r["id"] for r in rows]


def stored_responses(
    db: Database, item_ids: list[str], prepared_for: str | None = None
) -> list[StoredResponse]:
    """The newest finished pre-generated response of each kind for each item: the shared ones,
    or those prepared for `prepared_for`."""
    who = "prepared_for = :e" if prepared_for else "prepared_for IS NULL"
    return _stored(
        db,
        f"""
        SELECT {_STORED} FROM assist_events WHERE rowid IN (
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


def referenced_responses(db: Database, evaluator_id: str, item_ids: list[str]) -> set[str]:
    """The responses the evaluator's work on the items refers to (a flaw taken from one, one
    shown or marked, one regenerated), other than the evaluator's own requests."""
    mine = f"evaluator_id = :e AND study_item_id IN {_IN_ITEMS}"
    rows = db.query(
        f"""
        SELECT ref FROM (
            SELECT assist_event_id AS ref FROM judgment_flaws
                WHERE judgment_id IN (SELECT id FROM judgments WHERE {mine})
            UNION SELECT assist_event_id FROM review_events WHERE {mine}
            UNION SELECT regenerates_id FROM assist_events WHERE {mine}
        ) WHERE ref IS NOT NULL AND ref NOT IN (SELECT id FROM assist_events WHERE {mine})
        """,
        {"items": json.dumps(item_ids), "e": evaluator_id},
    )
    return {r["ref"] for r in rows}


def shown_responses(db: Database, ids: Iterable[str], evaluator_id: str) -> list[StoredResponse]:
    """Those of the responses a package may carry besides the evaluator's own requests:
    pre-generated ones, shared or prepared for the evaluator."""
    return _stored(
        db,
        f"SELECT {_STORED} FROM assist_events WHERE id IN (SELECT value FROM json_each(:ids)) "
        "AND pregenerated = 1 AND (prepared_for IS NULL OR prepared_for = :e) ORDER BY rowid",
        {"ids": json.dumps(sorted(set(ids))), "e": evaluator_id},
    )


# -- the copy -------------------------------------------------------------------------------------


def copy_share(source: Database, package: Database, share: PackageShare) -> None:
    """Write the share, read from the owner's workspace `source`, into the package (inside its
    transaction): each table of PACKAGE_COLUMNS in turn, only the columns it lists."""
    rows = _share(source, share)
    for table, names in PACKAGE_COLUMNS.items():
        sql = (
            f"INSERT INTO {quoted(table)} ({', '.join(quoted(c) for c in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        found = rows[table]
        for start in range(0, len(found), _BATCH):
            chunk = found[start : start + _BATCH]
            package.conn.executemany(sql, ([row[c] for c in names] for row in chunk))


def _share(db: Database, share: PackageShare) -> dict[str, list[Row]]:
    """Every row the package gets, table by table, blinded. The tasks, candidates and items
    come in the evaluator's queue order, not the owner's file's (where twins sit side by side,
    often the correct one first), the items numbered in it; the stored responses in the order
    the share gives; the evaluator's own work oldest first (a row's references before it)."""
    item_ids = [item for item, _ in share.queue]
    position = {item: n for n, item in enumerate(item_ids)}
    items = {"items": json.dumps(item_ids)}
    work = {**items, "e": share.evaluator_id}
    queued = (
        "FROM json_each(:items) q JOIN study_items si ON si.id = q.value "
        "JOIN candidates c ON c.id = si.candidate_id"
    )
    mine = f"WHERE evaluator_id = :e AND study_item_id IN {_IN_ITEMS}"
    judged = f"WHERE judgment_id IN (SELECT id FROM judgments {mine})"
    tasks = _select(
        db,
        "tasks",
        f"FROM (SELECT c.task_id, min(q.key) AS first {queued} GROUP BY c.task_id) f "
        "JOIN tasks t ON t.id = f.task_id ORDER BY f.first",
        items,
        alias="t",
    )
    sides = _shown_sides(db, share, item_ids)
    candidates = _in_shown_order(
        _select(
            db,
            "candidates",
            "FROM json_each(:items) q JOIN study_items si ON si.id = q.value "
            "LEFT JOIN item_sides s ON s.study_item_id = si.id "
            "JOIN candidates c ON c.id = coalesce(s.candidate_id, si.candidate_id) "
            "GROUP BY c.id ORDER BY min(q.key)",
            items,
            alias="c",
        ),
        sides,
    )
    study_items = _select(
        db,
        "study_items",
        "FROM json_each(:items) q JOIN study_items si ON si.id = q.value ORDER BY q.key",
        items,
        alias="si",
    )
    shown = _select(
        db,
        "assist_events",
        "FROM assist_events WHERE id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps([event for event, _ in share.responses])},
    )
    by_id = {r["id"]: r for r in shown}
    requested = _select(db, "assist_events", f"FROM assist_events {mine} ORDER BY rowid", work)
    judgments = _select(db, "judgments", f"FROM judgments {mine} ORDER BY rowid", work)
    return {
        "studies": _select(db, "studies", "FROM studies WHERE id = :id", {"id": share.study_id}),
        "tasks": [_own_id(r) for r in tasks],
        "candidates": [_own_id(r) for r in candidates],
        # A compare or rank item's answers in the order the evaluator sees them, slot 0 first:
        # the owner's slots put a pair's correct twin first.
        "study_items": [
            _own_id(r)
            | {"position": position[r["id"]]}
            | ({"candidate_id": sides[r["id"]][0]} if r["id"] in sides else {})
            for r in study_items
        ],
        "item_sides": [
            {"study_item_id": item, "slot": slot, "candidate_id": candidate_id}
            for item in item_ids
            for slot, candidate_id in enumerate(sides.get(item, ()))
        ],
        "evaluators": _select(
            db, "evaluators", "FROM evaluators WHERE id = :id", {"id": share.evaluator_id}
        ),
        "assignments": [
            {
                "study_id": share.study_id,
                "evaluator_id": share.evaluator_id,
                "position": n,
                "study_item_id": item,
                "condition": package_condition(condition).value,
                "sides": json.dumps(list(range(len(sides[item])))) if item in sides else None,
            }
            for n, (item, condition) in enumerate(share.queue)
        ],
        "assist_events": [
            *(_display_copy(by_id[event], stamp) for event, stamp in share.responses),
            *(_display_copy(r, share.created_at) for r in requested),
        ],
        "judgments": [
            r | {"condition": package_condition(Condition(r["condition"])).value}
            if r["condition"]
            else r
            for r in judgments
        ],
        "judgment_flaws": _select(db, "judgment_flaws", f"FROM judgment_flaws {judged}", work),
        "judgment_answers": _select(
            db, "judgment_answers", f"FROM judgment_answers {judged} ORDER BY rowid", work
        ),
        "judgment_orders": _select(
            db, "judgment_orders", f"FROM judgment_orders {judged} ORDER BY rowid", work
        ),
        "judgment_retractions": _select(
            db, "judgment_retractions", f"FROM judgment_retractions {judged} ORDER BY rowid", work
        ),
        "drafts": _select(db, "drafts", f"FROM drafts {mine}", work),
        "review_events": _select(
            db, "review_events", f"FROM review_events {mine} ORDER BY rowid", work
        ),
    }


def _shown_sides(
    db: Database, share: PackageShare, item_ids: list[str]
) -> dict[str, tuple[str, ...]]:
    """The candidates of each compare or rank item of the queue in the order the evaluator
    sees them (core/comparison.sides_order)."""
    design = design_of(db, share.study_id)
    seed = design.seed if design else share.study_id
    rows = db.query(
        f"SELECT si.id, {SLOTS} AS slots, a.sides FROM json_each(:items) q "
        "JOIN study_items si ON si.id = q.value "
        "LEFT JOIN assignments a ON a.study_item_id = si.id AND a.evaluator_id = :e "
        "WHERE si.layout <> 'single'",
        {"items": json.dumps(item_ids), "e": share.evaluator_id},
    )
    found = {}
    for r in rows:
        slots = slots_of(r["slots"])
        stored = json.loads(r["sides"]) if r["sides"] else None
        order = sides_order(stored, len(slots), seed, share.evaluator_id, r["id"])
        found[r["id"]] = tuple(slots[slot] for slot in order)
    return found


def _in_shown_order(candidates: list[Row], shown: dict[str, tuple[str, ...]]) -> list[Row]:
    """Candidates in queue order, a compare or rank item's in the order its sides are shown:
    their rows' places in the file would otherwise tell which twin is slot 0 (the correct)."""
    rank = {cid: n for n, cid in enumerate(cid for sides in shown.values() for cid in sides)}
    first = {cid: n for n, row in enumerate(candidates) for cid in [row["id"]]}
    return sorted(candidates, key=lambda row: (first[row["id"]], rank.get(row["id"], 0)))


def _select(
    db: Database, table: str, rest: str, params: dict[str, Any], *, alias: str = ""
) -> list[Row]:
    """Rows of `table` with only the columns a package may carry: `SELECT` them `rest`."""
    prefix = f"{alias}." if alias else ""
    listed = ", ".join(prefix + quoted(c) for c in PACKAGE_COLUMNS[table])
    return [dict(r) for r in db.query(f"SELECT {listed} {rest}", params)]


def _own_id(row: Row) -> Row:
    """The owner's record or task id (which may name the twin, e.g. "mean-bug") replaced by
    the row's own id."""
    return row | {"external_id": row["id"]}


def _display_copy(row: Row, stamp: str) -> Row:
    """An assistance event as a package shows it: the response and what the evaluator did
    with it, nothing of how it was made (the columns that tell are not listed). Applied to
    every event in a package alike, so a manipulated response cannot be told from an honest
    one by its row: no prompt (a manipulation's steering sentence is in it), no schema in its
    parameters. A pre-generated response also loses its asker and its times (`stamp`
    instead): per-evaluator responses are made apart."""
    params = json.loads(row["params"])
    copy = row | {
        "messages": DISPLAY_MESSAGES,
        "params": json.dumps({k: params[k] for k in KEPT_PARAMS if k in params}, sort_keys=True),
    }
    if row["pregenerated"]:
        copy |= {
            "evaluator_id": None,
            "requested_at": stamp,
            "first_token_at": stamp,
            "ended_at": stamp,
        }
    return copy


# -- a package's copies, back in the owner's workspace ------------------------------------------


def is_display_copy(event: Row) -> bool:
    """Whether an assistance event of a package is its copy of one of the owner's."""
    return bool(event["messages"] == DISPLAY_MESSAGES)


def as_displayed(db: Database, event: Row) -> Row:
    """The workspace's assistance event as a package written from it holds it: its listed
    columns as a display copy, every other column at its declared default. (A pre-generated
    one gets no stamp: a merge leaves a package's pre-generated responses out.)"""
    listed = {c: event[c] for c in PACKAGE_COLUMNS["assist_events"]}
    return declared_defaults(db, "assist_events") | _display_copy(listed, stamp="")
