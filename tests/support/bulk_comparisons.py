"""A large synthetic study of compare or rank items for bench/bench_export_comparisons.py and
its check in tests/services/test_comparison_exports.py: the records go through the real import,
then judgments and their orders are inserted in bulk, shaped as the review service writes them
(one at a time, the service would take minutes). No plan: each evaluator sees an item's
answers in the order core/comparison.shown_order draws, which is what the orders name."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evalstudio.core.comparison import BETTER, MUCH_BETTER, shown_order
from evalstudio.core.model import Study
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.evaluators import add_evaluator
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content

_BATCH = 1000
_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def comparison_records(path: Path, items: int, answers: int) -> Path:
    """`items` text records of `answers` answers each to one prompt (the benches' too)."""
    with path.open("w", encoding="utf-8") as f:
        for n in range(items):
            record = {
                "id": f"q{n}",
                "prompt": f"In one sentence: why does ice number {n} float on water?",
                "kind": "text",
                "candidates": [
                    {
                        "id": f"q{n}-{a}",
                        "text": f"Answer {a} to question {n}: ice is less dense than liquid "
                        "water, because its hydrogen bonds hold the molecules in an open "
                        "lattice.",
                    }
                    for a in range(answers)
                ],
            }
            f.write(json.dumps(record) + "\n")
    return path


def bulk_comparisons(
    workspace: Workspace,
    folder: Path,
    evaluators: int,
    items: int,
    answers: int = 2,
    name: str = "Bulk comparisons",
) -> Study:
    """`evaluators` × `items` current final judgments of items of `answers` answers each. A
    comparison: A much better, B better, or (one in five) about the same; a ranking: the
    order shown, or its reverse for every other judgment. Half of them assisted."""
    path = comparison_records(folder / f"comparisons-{answers}.jsonl", items, answers)
    study = import_tasks(workspace, path, name).study
    db = workspace.db
    slots = {item.id: item.slots for item in content.multi_items(db, study.id)}
    people = [add_evaluator(workspace, f"E{e:03}").id for e in range(evaluators)]
    judgments: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    with db.atomic():
        for n, (evaluator, item) in enumerate((e, i) for e in people for i in slots):
            # No plan and no design: the review draws the order shown from the study's id.
            order = shown_order(study.id, evaluator, item, len(slots[item]))
            shown = [slots[item][slot] for slot in order]
            judgment, ordering = _judged(f"{study.id}-{n}", n, evaluator, item, shown)
            judgments.append(judgment)
            orders.append(ordering)
            if len(judgments) >= _BATCH:
                _flush(workspace, judgments, orders)
        _flush(workspace, judgments, orders)
    return study


def _judged(
    judgment_id: str, n: int, evaluator: str, item: str, shown: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    judgment = {
        "id": judgment_id,
        "study_item_id": item,
        "evaluator_id": evaluator,
        "stage": "final",
        "condition": "assisted" if n % 2 else "unassisted",
        "confidence": 1 + n % 5,
        "rationale": "Read both against the prompt.",
        "active_ms": 15_000 + 37 * (n % 1000),
        "created_at": (_START + timedelta(seconds=20 * n)).isoformat(),
    }
    tiers, strength = _order(n, shown)
    return judgment, {
        "judgment_id": judgment["id"],
        "tiers": json.dumps(tiers),
        "strength": strength,
    }


def _order(n: int, shown: list[str]) -> tuple[list[list[str]], int | None]:
    if len(shown) > 2:
        ranked = shown if n % 2 else shown[::-1]
        return [[c] for c in ranked], None
    a, b = shown
    if n % 5 == 0:
        return [[a, b]], None
    return ([[a], [b]], MUCH_BETTER) if n % 2 else ([[b], [a]], BETTER)


def _flush(
    workspace: Workspace, judgments: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> None:
    for table, rows in (("judgments", judgments), ("judgment_orders", orders)):
        workspace.db.table(table).insert_all(rows, batch_size=_BATCH)
        rows.clear()
