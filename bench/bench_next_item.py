"""Fetch "the next unjudged item for evaluator E in study S" with 100,000 items in the
workspace (target: under 20 ms), at several points of E's progress."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench_import import write_tasks
from perf_doc import write_section

from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace, now, open_workspace

ITEMS = 100_000
PROGRESS = (0, 1_000, 50_000, 99_999)


def judge_first(workspace: Workspace, evaluator_id: str, item_ids: list[str]) -> None:
    """Bulk-insert judgments (set-up only; the app appends them one at a time)."""
    db = workspace.db
    with db.atomic():
        db.table("judgments").insert_all(
            (
                {
                    "id": f"{evaluator_id}-{i}",
                    "study_item_id": item_id,
                    "evaluator_id": evaluator_id,
                    "verdict": "acceptable",
                    "created_at": now(),
                }
                for i, item_id in enumerate(item_ids)
            ),
            batch_size=1000,
        )


def median_ms(workspace: Workspace, study_id: str, evaluator_id: str, calls: int = 30) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        studies.next_item(workspace, study_id, evaluator_id)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "tasks.jsonl"
        write_tasks(source, ITEMS)
        workspace = open_workspace(Path(tmp) / "ws.sqlite")
        study = import_tasks(workspace, source, "Bench").study
        item_ids = [i.item_id for i in studies.study_items(workspace, study.id)]
        # Another evaluator who finished everything makes the judgments table large too.
        judge_first(workspace, evaluators.add_evaluator(workspace, "Done").id, item_ids)
        for done in PROGRESS:
            evaluator = evaluators.add_evaluator(workspace, f"E{done}")
            judge_first(workspace, evaluator.id, item_ids[:done])
            start = time.perf_counter()
            studies.next_item(workspace, study.id, evaluator.id)
            cold = (time.perf_counter() - start) * 1000
            ms = median_ms(workspace, study.id, evaluator.id)
            assert studies.next_item(workspace, study.id, evaluator.id).item_id == item_ids[done]
            rows.append(f"| {done:,} of {ITEMS:,} | **{ms:.2f} ms** | {cold:.2f} ms |")
        workspace.close()
    body = "\n".join(
        [
            "## Next unjudged item (`bench/bench_next_item.py`)",
            "",
            f"{ITEMS:,} items in one study; another evaluator has judged all of them "
            f"({ITEMS:,} judgment rows). Median of 30 calls of `services.studies.next_item`.",
            "",
            "| evaluator's progress | next item (median) | first call, frontier still at 0 |",
            "|---|---|---|",
            *rows,
            "",
            "Target: under 20 ms. The query starts at the evaluator's judging frontier (every",
            "item before it is judged; only an undo moves it back, to the undone item). An",
            "evaluator who judges in the app moves it with every item; the right-hand column is",
            "the one-off walk after judgments arrive in bulk without it (e.g. a merge).",
        ]
    )
    print(body)
    write_section("bench_next_item", body)


if __name__ == "__main__":
    main()
