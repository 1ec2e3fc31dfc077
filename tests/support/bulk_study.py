"""A large synthetic study for the export's memory test and bench/bench_export.py: tasks go
through the real import, then judgments, flaws, assistance requests and point marks are
inserted in bulk, shaped as the review and assistance services write them (one at a time,
the services would take minutes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evalstudio.core.model import Study
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.evaluators import add_evaluator
from evalstudio.services.workspace.opening import Workspace

_BATCH = 1000
_START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_CRITIQUE = json.dumps(
    {
        "points": [
            {
                "line_start": 4,
                "line_end": 4,
                "severity": "major",
                "claim": "The loop stops one element early, so the last value is never "
                "compared; an input whose maximum is last returns the wrong answer.",
            },
            {
                "line_start": 2,
                "line_end": 2,
                "severity": "minor",
                "claim": "An empty list raises IndexError instead of the ValueError the "
                "prompt asks for.",
            },
        ],
        "verdict": "flawed",
    }
)
_EXPLAIN = (
    "The function keeps the largest value seen so far in `best` and walks the list once, "
    "comparing each element with it. It returns `best` at the end. The work is linear in the "
    "length of the list and it uses constant extra memory."
)


def _candidate(n: int, flawed: bool) -> str:
    stop = "len(xs) - 1" if flawed else "len(xs)"
    return (
        f"def largest_{n}(xs):\n"
        "    if not xs:\n"
        "        raise ValueError('empty')\n"
        "    best = xs[0]\n"
        f"    for i in range(1, {stop}):\n"
        "        if xs[i] > best:\n"
        "            best = xs[i]\n"
        "    return best\n"
    )


def _tasks(path: Path, pairs: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for n in range(pairs):
            common = {
                "prompt": f"Write largest_{n}(xs): the largest element of a non-empty list; "
                "raise ValueError on an empty one. Do not use max().",
                "kind": "code",
                "pair_id": f"p{n}",
            }
            correct = {"id": f"p{n}-ok", "truth": "correct", "candidate": _candidate(n, False)}
            flawed = {
                "id": f"p{n}-bug",
                "truth": "flawed",
                "candidate": _candidate(n, True),
                "flaw_description": "the loop skips the last element",
                "flaw_lines": [5, 5],
            }
            f.write(json.dumps(common | correct) + "\n")
            f.write(json.dumps(common | flawed) + "\n")
    return path


def bulk_study(
    workspace: Workspace, folder: Path, evaluators: int, pairs: int, name: str = "Bulk"
) -> Study:
    """`evaluators` × `pairs` current final judgments (each evaluator judges one twin of every
    pair); three in four assisted, each of those with a critique whose first point is marked,
    every other one also with an explanation; a flaw reported on every third judgment."""
    study = import_tasks(workspace, _tasks(folder / "bulk-tasks.jsonl", pairs), name).study
    db = workspace.db
    items = [
        r["id"]
        for r in db.query(
            "SELECT id FROM study_items WHERE study_id = ? ORDER BY position", [study.id]
        )
    ]
    people = [add_evaluator(workspace, f"E{e:03}").id for e in range(evaluators)]
    rows: dict[str, list[dict[str, Any]]] = {
        "judgments": [],
        "judgment_flaws": [],
        "assist_events": [],
        "review_events": [],
    }
    with db.atomic():
        for n, (evaluator, item, flawed) in enumerate(_judged(people, items)):
            for table, row in _rows_of(n, evaluator, item, flawed):
                rows[table].append(row)
            if len(rows["judgments"]) >= _BATCH:
                _flush(workspace, rows)
        _flush(workspace, rows)
    return study


def _judged(people: list[str], items: list[str]) -> Iterator[tuple[str, str, bool]]:
    for e, evaluator in enumerate(people):
        for p in range(len(items) // 2):
            flawed = (e + p) % 2 == 1
            yield evaluator, items[2 * p + flawed], flawed


def _rows_of(n: int, evaluator: str, item: str, flawed: bool) -> Iterator[tuple[str, Any]]:
    at = _START + timedelta(seconds=30 * n)
    assisted = n % 4 != 0
    says_flawed = flawed == (n % 5 != 0)  # right four times in five
    judgment = f"j{n}"
    if assisted:
        critique = f"a{n}"
        yield "assist_events", _event(critique, evaluator, item, "critique", _CRITIQUE, at)
        yield (
            "review_events",
            {
                "id": f"m{n}",
                "evaluator_id": evaluator,
                "study_item_id": item,
                "kind": "mark_point",
                "assist_event_id": critique,
                "point_index": 0,
                "mark": "valid" if n % 3 else "invalid",
                "at": (at + timedelta(seconds=6)).isoformat(),
            },
        )
        if n % 2:
            yield "assist_events", _event(f"x{n}", evaluator, item, "explain", _EXPLAIN, at)
    yield (
        "judgments",
        {
            "id": judgment,
            "study_item_id": item,
            "evaluator_id": evaluator,
            "stage": "final",
            "condition": "assisted" if assisted else "unassisted",
            "verdict": "flawed" if says_flawed else "acceptable",
            "quality": 2 if says_flawed else 6,
            "confidence": 1 + n % 5,
            "rationale": "Checked the loop bounds against a list whose largest value is last.",
            "active_ms": 20_000 + 37 * (n % 1000),
            "created_at": (at + timedelta(seconds=25)).isoformat(),
        },
    )
    if n % 3 == 0:
        yield (
            "judgment_flaws",
            {
                "judgment_id": judgment,
                "position": 0,
                "severity": "major",
                "description": "range stops before the last element",
                "line_start": 5,
                "line_end": 5,
                "source": "own",
            },
        )


def _event(
    event_id: str, evaluator: str, item: str, kind: str, response: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": event_id,
        "study_item_id": item,
        "evaluator_id": evaluator,
        "kind": kind,
        "messages": json.dumps([{"role": "user", "content": f"{kind} the answer"}]),
        "backend": "local",
        "model_id": "SmolLM2-135M-Instruct-Q4_1",
        "params": json.dumps({"max_tokens": 512, "temperature": 0.7, "n_ctx": 4096}),
        "seed": 12345,
        "requested_at": (at + timedelta(seconds=2)).isoformat(),
        "first_token_at": (at + timedelta(seconds=2.1)).isoformat(),
        "ended_at": (at + timedelta(seconds=5)).isoformat(),
        "prompt_tokens": 620,
        "completion_tokens": 140,
        "outcome": "done",
        "response": response,
    }


def _flush(workspace: Workspace, rows: dict[str, list[dict[str, Any]]]) -> None:
    # Parents first: flaws name judgments, marks name assistance requests.
    for table in ("assist_events", "judgments", "judgment_flaws", "review_events"):
        workspace.db.table(table).insert_all(rows[table], batch_size=_BATCH)
        rows[table].clear()
