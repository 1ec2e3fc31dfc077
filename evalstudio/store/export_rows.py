"""Rows for exports, streamed in chunks: a study's current judgments with the assistance they
used, its assistance log, and its perturbation pairs with their twins' votes.

Memory stays flat however large the study: each query is read through a cursor a chunk at a
time, and what a chunk needs besides (flaws, assistance, marks, item content) is looked up for
the whole chunk at once. Rows are plain dicts of column values; io/export_records.py names them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import groupby, islice
from operator import itemgetter
from typing import Any, TypeVar

from sqlite_utils import Database

from evalstudio.core.model import Evaluator
from evalstudio.store.judgments import _CURRENT  # the one definition of unretracted judgments
from evalstudio.store.people import evaluators

CHUNK = 500

Row = dict[str, Any]
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_OF_STUDY = " AND j.study_item_id IN (SELECT id FROM study_items WHERE study_id = ?)"

_ITEMS = """
    SELECT si.id AS item_id, si.position, t.id AS task_id, t.prompt, t.kind, t.language,
        c.external_id AS candidate_external_id, c.text, c.truth, c.flaw_description,
        c.flaw_severity, c.flaw_line_start, c.flaw_line_end, c.flaw_span_start, c.flaw_span_end,
        c.gold,
        coalesce(pc.external_id, pf.external_id) AS pair_external_id
    FROM study_items si
    JOIN candidates c ON c.id = si.candidate_id
    JOIN tasks t ON t.id = c.task_id
    LEFT JOIN pairs pc ON pc.correct_id = c.id
    LEFT JOIN pairs pf ON pf.flawed_id = c.id
    WHERE si.id IN ({marks})
"""

_ASSIST_COLUMNS = (
    "e.id, e.kind, e.outcome, e.requested_at, e.response, e.manipulated, e.manipulation"
)


# -- judgments ------------------------------------------------------------------------------


def count_judgments(db: Database, study_id: str) -> int:
    """How many (evaluator, item) of the study have a current final judgment or skip."""
    sql = (
        f"SELECT count(*) FROM ({_CURRENT} AND j.stage = 'final'{_OF_STUDY} "
        "GROUP BY j.evaluator_id, j.study_item_id)"
    )
    return int(db.execute(sql, [study_id]).fetchone()[0])


def judgment_chunks(db: Database, study_id: str) -> Iterator[list[Row]]:
    """The current final judgment (or skip) of each evaluator on each item of the study, by
    item id and, on an item, by evaluator name; in chunks of at most CHUNK.

    A row: `judgment` and `first` (the current first verdict, or None) as judgment columns,
    `revision` (how many final versions the evaluator submitted on the item up to this one,
    undone ones included), `evaluator` (name) and `evaluator_kind`, `item` (item, task and
    candidate columns, the ground truth included), `flaws` (rows of judgment_flaws) and
    `assistance` (the responses the evaluator requested or was shown on the item, each with
    its point `marks`).
    """
    people = {e.id: e for e in evaluators(db)}
    # By item first: a chunk then holds all the judgments of a few items, whose content and
    # assistance are read once for all of them. By item id, not study order: that follows the
    # task file, where twins often come correct-first, so it would tell them apart.
    cursor = db.execute(
        f"{_CURRENT}{_OF_STUDY} ORDER BY j.study_item_id, "
        "(SELECT name FROM evaluators WHERE id = j.evaluator_id), j.evaluator_id, "
        "j.created_at, j.rowid",
        [study_id],
    )
    judged = (
        (stages["final"], stages.get("first"))
        for stages in _current(_rows(cursor))
        if "final" in stages
    )
    for chunk in _chunked(judged):
        yield _complete(db, people, chunk)


def _complete(
    db: Database, people: dict[str, Evaluator], chunk: list[tuple[Row, Row | None]]
) -> list[Row]:
    items = list({final["study_item_id"]: None for final, _ in chunk})
    finals = [final["id"] for final, _ in chunk]
    content = {row["item_id"]: row for row in _query(db, _ITEMS, items)}
    flaws = _grouped(
        _query(
            db,
            "SELECT * FROM judgment_flaws WHERE judgment_id IN ({marks}) "
            "ORDER BY judgment_id, position",
            finals,
        ),
        lambda r: r["judgment_id"],
    )
    # A judgment that supersedes none is the evaluator's first version on the item.
    revised = [final["id"] for final, _ in chunk if final["supersedes_id"] is not None]
    revisions = {
        row["id"]: row["revision"]
        for row in _query(
            db,
            "SELECT j.id, (SELECT count(*) FROM judgments k WHERE k.evaluator_id = j.evaluator_id "
            "AND k.study_item_id = j.study_item_id AND k.stage = j.stage "
            "AND (k.created_at, k.rowid) <= (j.created_at, j.rowid)) AS revision "
            "FROM judgments j WHERE j.id IN ({marks})",
            revised,
        )
    }
    used = _assistance(db, items)
    return [
        {
            "judgment": final,
            "first": first,
            "revision": revisions.get(final["id"], 1),
            "evaluator": people[final["evaluator_id"]].name,
            "evaluator_kind": people[final["evaluator_id"]].kind.value,
            "item": content[final["study_item_id"]],
            "flaws": flaws.get(final["id"], []),
            "assistance": used.get((final["evaluator_id"], final["study_item_id"]), []),
        }
        for final, first in chunk
    ]


def _assistance(db: Database, items: list[str]) -> dict[tuple[str, str], list[Row]]:
    """(evaluator, item) → the responses the evaluator requested (`shown_at` None) or was
    shown pre-generated (first `shown_at`) on the item, in the order they got them, each with
    `marks`: (point index, mark) of the evaluator's current marks on its points."""
    requested = _query(
        db,
        f"SELECT e.evaluator_id, e.study_item_id AS item_id, NULL AS shown_at, {_ASSIST_COLUMNS} "
        "FROM assist_events e WHERE e.study_item_id IN ({marks}) AND e.evaluator_id IS NOT NULL",
        items,
    )
    shown = _query(
        db,
        "SELECT r.evaluator_id, r.study_item_id AS item_id, min(r.at) AS shown_at, "
        f"{_ASSIST_COLUMNS} FROM review_events r JOIN assist_events e ON e.id = r.assist_event_id "
        "WHERE r.study_item_id IN ({marks}) AND r.kind = 'show_response' "
        "GROUP BY r.evaluator_id, r.study_item_id, e.id",
        items,
    )
    newest: dict[tuple[str, str, int], str] = {}
    for row in _query(
        db,
        "SELECT evaluator_id, assist_event_id, point_index, mark FROM review_events "
        "WHERE study_item_id IN ({marks}) AND kind = 'mark_point' ORDER BY at, rowid",
        items,
    ):
        key = (row["evaluator_id"], row["assist_event_id"], row["point_index"])
        newest[key] = row["mark"]  # the newest mark wins
    marks: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for (evaluator, event_id, point), mark in sorted(newest.items()):
        if mark != "cleared":  # a cleared mark withdraws the one before
            marks.setdefault((evaluator, event_id), []).append((point, mark))
    for row in (*requested, *shown):
        row["marks"] = marks.get((row["evaluator_id"], row["id"]), [])
    return _grouped(
        sorted((*requested, *shown), key=lambda r: r["shown_at"] or r["requested_at"]),
        lambda r: (r["evaluator_id"], r["item_id"]),
    )


# -- the assistance log -----------------------------------------------------------------------


def count_events(db: Database, study_id: str) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM assist_events e JOIN study_items si ON si.id = e.study_item_id "
            "WHERE si.study_id = ?",
            [study_id],
        ).fetchone()[0]
    )


def event_chunks(db: Database, study_id: str) -> Iterator[list[Row]]:
    """Every assistance request on the study's items, by item id, then oldest first: the
    assist_events columns (messages, params and chat as stored JSON text), `evaluator` (name,
    None for pre-generated responses), `evaluator_kind` and the item's `position`."""
    # Not in time order across items: pre-generation runs in the study's order, which follows
    # the task file, where twins often come correct-first.
    cursor = db.execute(
        "SELECT e.*, ev.name AS evaluator, ev.kind AS evaluator_kind, si.position "
        "FROM assist_events e "
        "JOIN study_items si ON si.id = e.study_item_id "
        "LEFT JOIN evaluators ev ON ev.id = e.evaluator_id "
        "WHERE si.study_id = ? ORDER BY e.study_item_id, e.requested_at, e.rowid",
        [study_id],
    )
    yield from _chunked(_rows(cursor))


# -- perturbation pairs -----------------------------------------------------------------------


def count_pairs(db: Database, study_id: str) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM pairs p JOIN tasks t ON t.id = p.task_id WHERE t.study_id = ?",
            [study_id],
        ).fetchone()[0]
    )


def pair_chunks(db: Database, study_id: str) -> Iterator[list[Row]]:
    """The study's pairs by their id: the task, both twins' text, the planted flaw, and
    `correct_votes` / `flawed_votes`: {verdict: count} of the current final verdicts on each
    twin (skips do not vote)."""
    cursor = db.execute(
        "SELECT p.external_id AS pair_external_id, t.prompt, t.kind, t.language, "
        "cc.external_id AS correct_external_id, cc.text AS correct_text, "
        "cf.external_id AS flawed_external_id, cf.text AS flawed_text, "
        "cf.flaw_description, cf.flaw_severity, sc.id AS correct_item, sf.id AS flawed_item "
        "FROM pairs p JOIN tasks t ON t.id = p.task_id "
        "JOIN candidates cc ON cc.id = p.correct_id JOIN candidates cf ON cf.id = p.flawed_id "
        "JOIN study_items sc ON sc.candidate_id = p.correct_id "
        "JOIN study_items sf ON sf.candidate_id = p.flawed_id "
        "WHERE t.study_id = ? ORDER BY p.external_id",
        [study_id],
    )
    for chunk in _chunked(_rows(cursor)):
        votes = _votes(db, [i for row in chunk for i in (row["correct_item"], row["flawed_item"])])
        for row in chunk:
            row["correct_votes"] = votes.get(row["correct_item"], {})
            row["flawed_votes"] = votes.get(row["flawed_item"], {})
        yield chunk


def _votes(db: Database, items: list[str]) -> dict[str, dict[str, int]]:
    rows = _query(
        db,
        # People's votes only: a model evaluator's verdict is no human preference.
        f"{_CURRENT} AND j.stage = 'final' AND j.study_item_id IN ({{marks}}) "
        "AND j.evaluator_id IN (SELECT id FROM evaluators WHERE kind = 'human') "
        "ORDER BY j.study_item_id, j.evaluator_id, j.created_at, j.rowid",
        items,
    )
    votes: dict[str, dict[str, int]] = {}
    for stages in _current(rows):
        row = stages["final"]
        if row["verdict"] is not None:
            tally = votes.setdefault(row["study_item_id"], {})
            tally[row["verdict"]] = tally.get(row["verdict"], 0) + 1
    return votes


# -- reading ------------------------------------------------------------------------------------


def _rows(cursor: sqlite3.Cursor) -> Iterator[Row]:
    names = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(CHUNK):
        for values in batch:
            yield dict(zip(names, values, strict=True))


def _query(db: Database, sql: str, keys: list[str]) -> list[Row]:
    """`sql` with `{marks}` standing for one placeholder per key (a chunk's worth)."""
    return list(_rows(db.execute(sql.format(marks=", ".join("?" * len(keys))), keys)))


def _current(rows: Iterable[Row]) -> Iterator[dict[str, Row]]:
    """Stage → current judgment, per (item, evaluator), from unretracted judgment rows ordered
    by item and evaluator, then by time: later rows replace earlier ones, as in
    judgments.current_judgments."""
    for _, group in groupby(rows, key=itemgetter("study_item_id", "evaluator_id")):
        yield {row["stage"]: row for row in group}


def _grouped(rows: Iterable[Row], key: Callable[[Row], K]) -> dict[K, list[Row]]:
    groups: dict[K, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def _chunked(rows: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk
