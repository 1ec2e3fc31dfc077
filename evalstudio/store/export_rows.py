"""What exports are made of, streamed in chunks as core/exported.py's records: a study's
current judgments with the assistance they used, its assistance log, and its perturbation
pairs with their twins' votes.

Memory stays flat however large the study: each query is read through a cursor a chunk at a
time, and what a chunk needs besides (flaws, assistance, marks, item content) is looked up for
the whole chunk at once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import groupby, islice
from operator import itemgetter
from typing import Any, TypeVar

from sqlite_utils import Database

from evalstudio.core.comparison import Layout, sides_order
from evalstudio.core.exported import (
    ExportedEvent,
    ExportedItem,
    ExportedJudgment,
    ExportedPair,
    UsedResponse,
)
from evalstudio.core.model import Candidate, Evaluator, EvaluatorKind, Verdict
from evalstudio.core.preference_pairs import TwinVotes
from evalstudio.core.review import Judgment
from evalstudio.store.content import candidate_of, task_of
from evalstudio.store.designs import design_of
from evalstudio.store.judgments import (
    _CURRENT,  # the one definition of unretracted judgments
    answers_of,
    flaw_of,
    judgment_of,
    orders_of,
)
from evalstudio.store.people import evaluators

CHUNK = 500
_NO_VOTES = TwinVotes(0, 0)

Row = dict[str, Any]
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_OF_STUDY = " AND j.study_item_id IN (SELECT id FROM study_items WHERE study_id = ?)"
# The judgments preferences are made of: people's, on compare and rank items.
_COMPARED_BY_PEOPLE = (
    " AND j.study_item_id IN (SELECT id FROM study_items WHERE study_id = ? "
    "AND layout <> 'single') AND j.evaluator_id IN (SELECT id FROM evaluators WHERE kind = 'human')"
)

_ITEMS = """
    SELECT si.id AS item_id, si.position, si.layout,
        coalesce(pc.external_id, pf.external_id) AS pair_id, c.*
    FROM study_items si
    JOIN candidates c ON c.id = si.candidate_id
    LEFT JOIN pairs pc ON pc.correct_id = c.id
    LEFT JOIN pairs pf ON pf.flawed_id = c.id
    WHERE si.id IN ({marks})
"""

_ASSIST_COLUMNS = (
    "e.id, e.kind, e.outcome, e.requested_at, e.response, e.manipulated, e.manipulation"
)


# -- judgments ------------------------------------------------------------------------------


def count_judgments(db: Database, study_id: str, compared_by_people: bool = False) -> int:
    """How many (evaluator, item) of the study have a current final judgment or skip (only
    people's on compare and rank items, `compared_by_people`)."""
    of_study = _COMPARED_BY_PEOPLE if compared_by_people else _OF_STUDY
    sql = (
        f"SELECT count(*) FROM ({_CURRENT} AND j.stage = 'final'{of_study} "
        "GROUP BY j.evaluator_id, j.study_item_id)"
    )
    return int(db.execute(sql, [study_id]).fetchone()[0])


def judgment_chunks(
    db: Database, study_id: str, compared_by_people: bool = False
) -> Iterator[list[ExportedJudgment]]:
    """The current final judgment (or skip) of each evaluator on each item of the study (only
    people's on compare and rank items, `compared_by_people`), by item id and, on an item, by
    evaluator name; in chunks of at most CHUNK."""
    people = {e.id: e for e in evaluators(db)}
    design = design_of(db, study_id)
    seed = design.seed if design else study_id  # as store/orders.py draws the sides shown
    of_study = _COMPARED_BY_PEOPLE if compared_by_people else _OF_STUDY
    # By item first: a chunk then holds all the judgments of a few items, whose content and
    # assistance are read once for all of them. By item id, not study order: that follows the
    # task file, where twins often come correct-first, so it would tell them apart.
    cursor = db.execute(
        f"{_CURRENT}{of_study} ORDER BY j.study_item_id, "
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
        yield _complete(db, people, seed, chunk)


def _complete(
    db: Database, people: dict[str, Evaluator], seed: str, chunk: list[tuple[Row, Row | None]]
) -> list[ExportedJudgment]:
    items = list({final["study_item_id"]: None for final, _ in chunk})
    judged = [row["id"] for pair in chunk for row in pair if row is not None]
    content = _items(db, items)
    flaws = _grouped(
        _query(
            db,
            "SELECT * FROM judgment_flaws WHERE judgment_id IN ({marks}) "
            "ORDER BY judgment_id, position",
            judged,
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

    answers = answers_of(db, judged)
    orders = orders_of(db, judged)

    def judgment(row: Row) -> Judgment:
        found = tuple(flaw_of(f) for f in flaws.get(row["id"], []))
        return judgment_of(row, found, answers[row["id"]], orders.get(row["id"]))

    used = _assistance(db, items)
    shown = _shown(db, seed, content, [final for final, _ in chunk])
    return [
        ExportedJudgment(
            judgment=judgment(final),
            first=judgment(first) if first is not None else None,
            revision=revisions.get(final["id"], 1),
            evaluator=people[final["evaluator_id"]],
            item=content[final["study_item_id"]],
            assistance=tuple(used.get((final["evaluator_id"], final["study_item_id"]), [])),
            shown=shown.get((final["evaluator_id"], final["study_item_id"]), ()),
        )
        for final, first in chunk
    ]


def _shown(
    db: Database, seed: str, items: dict[str, ExportedItem], finals: list[Row]
) -> dict[tuple[str, str], tuple[Candidate, ...]]:
    """(evaluator, item) → a compare or rank item's candidates in the order the evaluator saw
    them: as their assignment stored it, else drawn as the review drew it (core/comparison)."""
    keys = [
        (row["evaluator_id"], row["study_item_id"])
        for row in finals
        if items[row["study_item_id"]].sides
    ]
    if not keys:
        return {}
    # By (evaluator, item), the assignments' unique key: the table has no index by item alone.
    stored = {
        (r["evaluator_id"], r["study_item_id"]): json.loads(r["sides"])
        for r in db.query(
            "SELECT a.evaluator_id, a.study_item_id, a.sides FROM json_each(?) k "
            "JOIN assignments a ON a.evaluator_id = k.value ->> 0 "
            "AND a.study_item_id = k.value ->> 1 WHERE a.sides IS NOT NULL",
            [json.dumps(keys)],
        )
    }
    shown = {}
    for evaluator, item_id in keys:
        sides = items[item_id].sides
        order = sides_order(stored.get((evaluator, item_id)), len(sides), seed, evaluator, item_id)
        shown[evaluator, item_id] = tuple(sides[slot] for slot in order)
    return shown


def _items(db: Database, item_ids: list[str]) -> dict[str, ExportedItem]:
    """The items with their tasks and candidates, by item id."""
    rows = _query(db, _ITEMS, item_ids)
    tasks = {
        row["id"]: task_of(row)
        for row in _query(
            db, "SELECT * FROM tasks WHERE id IN ({marks})", sorted({r["task_id"] for r in rows})
        )
    }
    multi = [r["item_id"] for r in rows if r["layout"] != Layout.SINGLE]
    sides = _grouped(
        _query(
            db,
            "SELECT s.study_item_id AS item_id, c.* FROM item_sides s "
            "JOIN candidates c ON c.id = s.candidate_id "
            "WHERE s.study_item_id IN ({marks}) ORDER BY s.study_item_id, s.slot",
            multi,
        ),
        lambda r: r["item_id"],
    )
    return {
        r["item_id"]: ExportedItem(
            r["item_id"],
            r["position"],
            tasks[r["task_id"]],
            candidate_of(r),
            r["pair_id"],
            Layout(r["layout"]),
            tuple(candidate_of(c) for c in sides.get(r["item_id"], [])),
        )
        for r in rows
    }


def _assistance(db: Database, items: list[str]) -> dict[tuple[str, str], list[UsedResponse]]:
    """(evaluator, item) → the responses the evaluator requested or was shown pre-generated
    (first `shown_at`) on the item, in the order they got them, each with the evaluator's
    current marks on its points."""
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
    used: dict[tuple[str, str], list[UsedResponse]] = {}
    for row in sorted((*requested, *shown), key=lambda r: r["shown_at"] or r["requested_at"]):
        used.setdefault((row["evaluator_id"], row["item_id"]), []).append(
            UsedResponse(
                id=row["id"],
                kind=row["kind"],
                outcome=row["outcome"],
                requested_at=row["requested_at"],
                shown_at=row["shown_at"],
                response=row["response"],
                manipulated=bool(row["manipulated"]),
                manipulation=row["manipulation"],
                marks=tuple(marks.get((row["evaluator_id"], row["id"]), [])),
            )
        )
    return used


# -- the assistance log -----------------------------------------------------------------------


def count_events(db: Database, study_id: str) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM assist_events e JOIN study_items si ON si.id = e.study_item_id "
            "WHERE si.study_id = ?",
            [study_id],
        ).fetchone()[0]
    )


def event_chunks(db: Database, study_id: str) -> Iterator[list[ExportedEvent]]:
    """Every assistance request on the study's items, by item id, then oldest first."""
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
    for chunk in _chunked(_rows(cursor)):
        yield [_event(row) for row in chunk]


def _event(row: Row) -> ExportedEvent:
    asker = row["evaluator_id"]
    return ExportedEvent(
        id=row["id"],
        study_item_id=row["study_item_id"],
        position=row["position"],
        evaluator_id=asker,
        evaluator=(
            Evaluator(asker, row["evaluator"], EvaluatorKind(row["evaluator_kind"]))
            if row["evaluator"] is not None
            else None
        ),
        kind=row["kind"],
        pregenerated=bool(row["pregenerated"]),
        regenerates_id=row["regenerates_id"],
        chat=json.loads(row["chat"]) if row["chat"] is not None else None,
        messages=json.loads(row["messages"]),
        params=json.loads(row["params"]),
        backend=row["backend"],
        model_id=row["model_id"],
        model_sha256=row["model_sha256"],
        seed=row["seed"],
        requested_at=row["requested_at"],
        first_token_at=row["first_token_at"],
        ended_at=row["ended_at"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        outcome=row["outcome"],
        error=row["error"],
        response=row["response"],
        reused_from=row["reused_from"],
        manipulated=bool(row["manipulated"]),
        manipulation=row["manipulation"],
        misalignment=row["misalignment"],
        basis_id=row["basis_id"],
    )


# -- perturbation pairs -----------------------------------------------------------------------


# The pairs whose twins are shown as single items: one shown as a compare item (its slot 0 is
# the correct twin) has no verdicts to separate its twins.
_SINGLE_TWINS = (
    "FROM pairs p JOIN tasks t ON t.id = p.task_id "
    "JOIN study_items sc ON sc.candidate_id = p.correct_id AND sc.layout = 'single' "
    "JOIN study_items sf ON sf.candidate_id = p.flawed_id AND sf.layout = 'single' "
    "WHERE t.study_id = ?"
)


def count_pairs(db: Database, study_id: str) -> int:
    return int(db.execute(f"SELECT count(*) {_SINGLE_TWINS}", [study_id]).fetchone()[0])


def pair_chunks(db: Database, study_id: str) -> Iterator[list[ExportedPair]]:
    """The study's pairs shown as two single items, by their id, with the people's current
    final verdicts on each twin (skips do not vote)."""
    cursor = db.execute(
        "SELECT p.external_id, p.task_id, p.correct_id, p.flawed_id, "
        f"sc.id AS correct_item, sf.id AS flawed_item {_SINGLE_TWINS} ORDER BY p.external_id",
        [study_id],
    )
    for chunk in _chunked(_rows(cursor)):
        twins = [c for row in chunk for c in (row["correct_id"], row["flawed_id"])]
        candidates = {
            r["id"]: candidate_of(r)
            for r in _query(db, "SELECT * FROM candidates WHERE id IN ({marks})", twins)
        }
        tasks = {
            r["id"]: task_of(r)
            for r in _query(
                db,
                "SELECT * FROM tasks WHERE id IN ({marks})",
                sorted({r["task_id"] for r in chunk}),
            )
        }
        votes = _votes(db, [i for row in chunk for i in (row["correct_item"], row["flawed_item"])])
        yield [
            ExportedPair(
                pair_id=row["external_id"],
                task=tasks[row["task_id"]],
                correct=candidates[row["correct_id"]],
                flawed=candidates[row["flawed_id"]],
                correct_votes=votes.get(row["correct_item"], _NO_VOTES),
                flawed_votes=votes.get(row["flawed_item"], _NO_VOTES),
            )
            for row in chunk
        ]


def _votes(db: Database, items: list[str]) -> dict[str, TwinVotes]:
    rows = _query(
        db,
        # People's votes only: a model evaluator's verdict is no human preference.
        f"{_CURRENT} AND j.stage = 'final' AND j.study_item_id IN ({{marks}}) "
        "AND j.evaluator_id IN (SELECT id FROM evaluators WHERE kind = 'human') "
        "ORDER BY j.study_item_id, j.evaluator_id, j.created_at, j.rowid",
        items,
    )
    tallies: dict[str, dict[str, int]] = {}
    for stages in _current(rows):
        row = stages["final"]
        if row["verdict"] is not None:
            tally = tallies.setdefault(row["study_item_id"], {})
            tally[row["verdict"]] = tally.get(row["verdict"], 0) + 1
    return {
        item: TwinVotes(tally.get(Verdict.FLAWED, 0), tally.get(Verdict.ACCEPTABLE, 0))
        for item, tally in tallies.items()
    }


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
