"""Import 10,000 comparison records (`candidates` with two answers each: compare items; and
with four: rank items) into a fresh workspace (target: under 1 s), beside the 10,000 single
records of bench_import.py in the same run; figures into docs/perf.md."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_import import write_tasks
from perf_doc import write_section

# The records are the ones the export bench's study is made of.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.bulk_comparisons import comparison_records

from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import open_workspace

RECORDS = 10_000
REPEATS = 5


def time_import(write: str, answers: int) -> list[float]:
    """Seconds per run importing RECORDS records into a fresh workspace file each run."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "tasks.jsonl"
        if answers == 1:
            write_tasks(source, RECORDS)
        else:
            comparison_records(source, RECORDS, answers)
        for run in range(REPEATS):
            workspace = open_workspace(Path(tmp) / f"ws{run}.sqlite")
            start = time.perf_counter()
            report = import_tasks(workspace, source, "Bench")
            times.append(time.perf_counter() - start)
            assert report.items == RECORDS, (write, report.items)
            workspace.close()
    return times


def load() -> str:
    """The load average while the bench ran (the machine is shared)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) at the end"


def main() -> None:
    runs = {
        "10,000 single records (5,000 pairs; bench_import.py's)": time_import("single", 1),
        "10,000 compare records (2 answers each)": time_import("compare", 2),
        "10,000 rank records (4 answers each)": time_import("rank", 4),
    }
    single = statistics.median(next(iter(runs.values())))
    rows = [
        f"| {what} | **{statistics.median(times):.3f} s** | "
        f"{', '.join(f'{t:.3f}' for t in times)} | {statistics.median(times) / single:.2f} |"
        for what, times in runs.items()
    ]
    body = "\n".join(
        [
            "## Import of comparison records (`bench/bench_import_comparisons.py`)",
            "",
            f"| records | median of {REPEATS} | runs (s) | × single |",
            "|---|---|---|---|",
            *rows,
            "",
            "Target: 10,000 comparison records under 1 s. Each run into a fresh workspace file: "
            "read, check every record, one candidate row per answer, one item with its slots "
            "(`item_sides`) per record, one transaction. Text answers of about 130 characters; "
            f"the single records are code. Run on a shared machine ({load()}).",
            "",
            "Profiled (cProfile, 2026-12-06, 10,000 records of 2 answers, 40,000 rows): "
            "sqlite-utils' insert_all spent more building its statements than SQLite running "
            "them, and HMAC-SHA256 ids were keyed afresh per id in Python; since then the "
            "rows go in by `executemany` (`store/content.py`) and ids by one `hmac.digest` "
            "call (the same bytes): insert_plan 1.41 s → 0.59 s, the whole import 2.65 s → "
            "1.81 s under the profiler. What is left is about a third each: SQLite's own "
            "inserts (indexes, foreign keys), checking the records, and planning (ids).",
        ]
    )
    print(body)
    write_section("bench_import_comparisons", body)


if __name__ == "__main__":
    main()
