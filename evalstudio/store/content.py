"""Rows of a study's content: tasks, candidates, perturbation pairs and study items."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from evalstudio.core.comparison import Layout, Side
from evalstudio.core.conversation import BadMessages, Turns, turns_json, turns_of_json
from evalstudio.core.errors import WorkspaceError
from evalstudio.core.import_plan import ImportPlan
from evalstudio.core.model import (
    Candidate,
    ItemView,
    Kind,
    LineRange,
    Pair,
    PlantedFlaw,
    Severity,
    Span,
    StudyItem,
    Task,
    Truth,
)

_BATCH = 500


def insert_plan(db: Database, plan: ImportPlan) -> None:
    """Write what an import adds; the caller holds the transaction."""
    db.table("tasks").insert_all(
        (
            {
                "id": t.id,
                "study_id": t.study_id,
                "external_id": t.external_id,
                "prompt": t.prompt,
                "kind": t.kind.value,
                "language": t.language,
                "reference": t.reference,
                # Only when there is one: a plan of single answers writes the rows it wrote
                # before m014 (tests/store/test_attack_ids.py writes one into an older file).
                **({"conversation": turns_json(t.conversation)} if t.conversation else {}),
            }
            for t in plan.tasks
        ),
        batch_size=_BATCH,
    )
    db.table("candidates").insert_all(
        (_candidate_row(c) for c in plan.candidates), batch_size=_BATCH
    )
    db.table("pairs").insert_all(
        (
            {
                "id": p.id,
                "task_id": p.task_id,
                "external_id": p.external_id,
                "correct_id": p.correct_id,
                "flawed_id": p.flawed_id,
                "test": p.test,
            }
            for p in plan.pairs
        ),
        batch_size=_BATCH,
    )
    rows = [
        {
            "id": i.id,
            "study_id": i.study_id,
            "candidate_id": i.candidate_id,
            "external_id": i.external_id,
            "position": i.position,
            **({"layout": i.layout.value} if i.slots else {}),
        }
        for i in plan.items
    ]
    # Single items without `layout` (its default), apart: a plan of single answers writes the
    # rows it wrote before m017 (tests/store/test_attack_ids.py writes one into an older file),
    # and insert_all takes its columns from a batch's first row.
    for same_columns in (
        [r for r in rows if "layout" not in r],
        [r for r in rows if "layout" in r],
    ):
        db.table("study_items").insert_all(same_columns, batch_size=_BATCH)
    db.table("item_sides").insert_all(
        (
            {"study_item_id": i.id, "slot": slot, "candidate_id": candidate_id}
            for i in plan.items
            for slot, candidate_id in enumerate(i.slots)
        ),
        batch_size=_BATCH,
    )


def _candidate_row(c: Candidate) -> dict[str, Any]:
    flaw = c.flaw
    return {
        "id": c.id,
        "task_id": c.task_id,
        "external_id": c.external_id,
        "text": c.text,
        "truth": c.truth.value if c.truth else None,
        "flaw_description": flaw.description if flaw else None,
        "flaw_severity": flaw.severity.value if flaw else None,
        "flaw_line_start": flaw.lines.start if flaw and flaw.lines else None,
        "flaw_line_end": flaw.lines.end if flaw and flaw.lines else None,
        "flaw_span_start": flaw.span.start if flaw and flaw.span else None,
        "flaw_span_end": flaw.span.end if flaw and flaw.span else None,
        "gold": int(c.gold),
    }


def task_of(row: dict[str, Any]) -> Task:
    """A row of `tasks` as its record."""
    return Task(
        row["id"],
        row["study_id"],
        row["external_id"],
        row["prompt"],
        Kind(row["kind"]),
        row["language"],
        row["reference"],
        conversation_of(row["id"], row["conversation"]),
    )


def conversation_of(task_id: str, stored: str | None) -> Turns | None:
    """A task's stored conversation; a cell that is not one (a file edited by hand) is an
    error that names the task, not a traceback."""
    if stored is None:
        return None
    try:
        return turns_of_json(stored)
    except BadMessages as e:
        raise WorkspaceError(f"the conversation of task {task_id} {e}") from None


def candidate_of(row: dict[str, Any]) -> Candidate:
    """A row of `candidates` as its record, ground truth included."""
    flaw = None
    if row["flaw_description"] is not None:
        lines = row["flaw_line_start"]
        span = row["flaw_span_start"]
        flaw = PlantedFlaw(
            row["flaw_description"],
            Severity(row["flaw_severity"]),
            LineRange(lines, row["flaw_line_end"]) if lines is not None else None,
            Span(span, row["flaw_span_end"]) if span is not None else None,
        )
    return Candidate(
        row["id"],
        row["task_id"],
        row["external_id"],
        row["text"],
        Truth(row["truth"]) if row["truth"] else None,
        flaw,
        bool(row["gold"]),
    )


def tasks_of_study(db: Database, study_id: str) -> dict[str, Task]:
    """The study's tasks by their external id."""
    return {
        row["external_id"]: task_of(row)
        for row in db["tasks"].rows_where("study_id = ?", [study_id])
    }


def external_ids_of_study(db: Database, study_id: str) -> set[str]:
    """The names the owner's files gave the study's items and candidates (one namespace)."""
    return {
        r["external_id"]
        for r in db.query(
            "SELECT external_id FROM study_items WHERE study_id = :s UNION "
            "SELECT c.external_id FROM candidates c JOIN tasks t ON t.id = c.task_id "
            "WHERE t.study_id = :s",
            {"s": study_id},
        )
    }


def pair_ids_of_study(db: Database, study_id: str) -> set[str]:
    return {
        r["external_id"]
        for r in db.query(
            "SELECT p.external_id FROM pairs p JOIN tasks t ON t.id = p.task_id "
            "WHERE t.study_id = ?",
            [study_id],
        )
    }


def next_position(db: Database, study_id: str) -> int:
    row = next(
        db.query(
            "SELECT coalesce(max(position) + 1, 0) AS n FROM study_items WHERE study_id = ?",
            [study_id],
        )
    )
    return int(row["n"])


def candidates_of_study(db: Database, study_id: str) -> list[Candidate]:
    """Every candidate of the study in study order (a compare or rank item's in slot order),
    ground truth included (owner's view)."""
    sql = (
        "SELECT c.* FROM study_items si "
        "LEFT JOIN item_sides s ON s.study_item_id = si.id "
        "JOIN candidates c ON c.id = coalesce(s.candidate_id, si.candidate_id) "
        "WHERE si.study_id = ? ORDER BY si.position, s.slot"
    )
    return [candidate_of(row) for row in db.query(sql, [study_id])]


def multi_items(db: Database, study_id: str) -> list[StudyItem]:
    """The study's compare and rank items with their candidates in slot order."""
    rows = db.query(
        f"SELECT si.*, {SLOTS} AS slots FROM study_items si "
        "WHERE si.study_id = ? AND si.layout <> 'single' ORDER BY si.position",
        [study_id],
    )
    return [study_item_of(r) for r in rows]


# A compare or rank item's (slot, candidate id) pairs as JSON, for `slots_of` (an aggregate
# does not keep a subquery's order in SQLite 3.40: the slot travels with each entry).
SLOTS = (
    "(SELECT json_group_array(json_array(slot, candidate_id)) FROM item_sides "
    "WHERE study_item_id = si.id)"
)


def slots_of(stored: str) -> tuple[str, ...]:
    """The candidate ids of a `SLOTS` column in slot order."""
    return tuple(candidate_id for _, candidate_id in sorted(json.loads(stored)))


def study_item_of(row: dict[str, Any]) -> StudyItem:
    """A row of `study_items` with a `SLOTS` column `slots` as its record."""
    slots = slots_of(row["slots"]) if row.get("slots") else ()
    return StudyItem(
        row["id"],
        row["study_id"],
        row["candidate_id"],
        row["position"],
        row["external_id"],
        Layout(row["layout"]),
        slots,
    )


def pairs_of_study(db: Database, study_id: str) -> list[Pair]:
    sql = (
        "SELECT p.* FROM pairs p JOIN tasks t ON t.id = p.task_id WHERE t.study_id = ? "
        "ORDER BY p.external_id"
    )
    return [
        Pair(r["id"], r["task_id"], r["external_id"], r["correct_id"], r["flawed_id"], r["test"])
        for r in db.query(sql, [study_id])
    ]


_ITEM_VIEW = """
    SELECT si.id AS item_id, si.position, t.prompt, t.kind, t.language, c.text,
           COALESCE(t.reference, '') <> '' AS has_reference, t.id AS task_id, t.conversation,
           si.layout,
           (SELECT json_group_array(json_array(s.slot, s.candidate_id, sc.text))
                FROM item_sides s JOIN candidates sc ON sc.id = s.candidate_id
                WHERE s.study_item_id = si.id) AS sides
    FROM study_items si
    JOIN candidates c ON c.id = si.candidate_id
    JOIN tasks t ON t.id = c.task_id
"""


def _item_view(row: dict[str, Any]) -> ItemView:
    """An item as stored; a compare or rank item's sides in slot order (the review session
    puts them in the order its evaluator sees them)."""
    return ItemView(
        row["item_id"],
        row["position"],
        row["prompt"],
        Kind(row["kind"]),
        row["language"],
        row["text"],
        bool(row["has_reference"]),
        conversation_of(row["task_id"], row["conversation"]),
        Layout(row["layout"]),
        tuple(Side(cid, text) for _, cid, text in sorted(json.loads(row["sides"]))),
    )


def item_views(db: Database, study_id: str) -> list[ItemView]:
    """The study's items as an evaluator may see them (no ground truth), in study order."""
    sql = _ITEM_VIEW + " WHERE si.study_id = ? ORDER BY si.position"
    return [_item_view(row) for row in db.query(sql, [study_id])]


def next_unjudged_item(db: Database, study_id: str, evaluator_id: str) -> ItemView | None:
    """The first item in study order that the evaluator has neither judged nor skipped.

    The walk starts at the evaluator's judging frontier (every item before it is judged; an
    undo lowers it) and probes judgments by index, so its cost is the run of judged items
    after the frontier, not the evaluator's whole progress. The frontier moves up to the item
    found.
    """
    frontier = next(
        db.query(
            "SELECT coalesce(max(position), 0) AS p FROM judging_frontier "
            "WHERE evaluator_id = ? AND study_id = ?",
            [evaluator_id, study_id],
        )
    )["p"]
    sql = (
        _ITEM_VIEW
        + """
        WHERE si.study_id = ? AND si.position >= ? AND NOT EXISTS (
            SELECT 1 FROM judgments j WHERE j.evaluator_id = ? AND j.study_item_id = si.id
            AND j.stage = 'final' AND NOT EXISTS (
                SELECT 1 FROM judgment_retractions r WHERE r.judgment_id = j.id))
        ORDER BY si.position LIMIT 1
    """
    )
    rows = list(db.query(sql, [study_id, frontier, evaluator_id]))
    if not rows:
        return None
    item = _item_view(rows[0])
    if item.position > frontier:
        with db.atomic():
            db.table("judging_frontier").upsert(
                {"evaluator_id": evaluator_id, "study_id": study_id, "position": item.position},
                pk=("evaluator_id", "study_id"),
            )
    return item


def task_and_candidate(
    db: Database, item_id: str, side: str | None = None
) -> tuple[Task, Candidate] | None:
    """The task and candidate behind a study item, ground truth included (for services); of
    a compare or rank item, the answer `side` (a candidate id), which must be one of its own.
    None when there is no such item or answer."""
    rows = list(
        db.query(
            "SELECT c.* FROM study_items si "
            "LEFT JOIN item_sides s ON s.study_item_id = si.id "
            "JOIN candidates c ON c.id = coalesce(s.candidate_id, si.candidate_id) "
            "WHERE si.id = :item AND c.id = coalesce(:side, si.candidate_id)",
            {"item": item_id, "side": side},
        )
    )
    if not rows:
        return None
    candidate = candidate_of(rows[0])
    task = task_of(next(db.query("SELECT * FROM tasks WHERE id = ?", [candidate.task_id])))
    return task, candidate


def study_item(db: Database, item_id: str) -> StudyItem | None:
    """A study item with its layout and (compare, rank) slots."""
    rows = list(
        db.query(f"SELECT si.*, {SLOTS} AS slots FROM study_items si WHERE si.id = ?", [item_id])
    )
    return study_item_of(rows[0]) if rows else None


def compared_pair(db: Database, item_id: str) -> tuple[str, str] | None:
    """(correct, flawed) candidate ids of a perturbation pair shown as this compare item."""
    rows = list(
        db.query(
            "SELECT p.correct_id, p.flawed_id FROM study_items si "
            "JOIN pairs p ON p.correct_id = si.candidate_id "
            "WHERE si.id = ? AND si.layout = 'compare'",
            [item_id],
        )
    )
    return (rows[0]["correct_id"], rows[0]["flawed_id"]) if rows else None


def lower_frontier(db: Database, evaluator_id: str, study_id: str, position: int) -> None:
    """An item at `position` is open again (its judgment was retracted)."""
    db.execute(
        "UPDATE judging_frontier SET position = ? "
        "WHERE evaluator_id = ? AND study_id = ? AND position > ?",
        [position, evaluator_id, study_id, position],
    )


def item_ids_by_candidate(db: Database, study_id: str) -> dict[str, str]:
    """The single item of each candidate the study shows alone (a compare or rank item's are
    in `multi_items`)."""
    rows = db.query(
        "SELECT id, candidate_id FROM study_items WHERE study_id = ? AND layout = 'single'",
        [study_id],
    )
    return {row["candidate_id"]: row["id"] for row in rows}
