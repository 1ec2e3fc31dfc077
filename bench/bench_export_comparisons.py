"""Export 100,000 comparison judgments as JSONL judgments and as preferences (target: each under
5 s), a study of rankings besides, and the single-item judgments of bench_export.py's study in
the same run for the ratio; figures into docs/perf.md."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from perf_doc import write_section

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.bulk_comparisons import bulk_comparisons
from support.bulk_study import bulk_study

from evalstudio.core.model import Study
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.workspace.opening import Workspace, open_workspace

EVALUATORS = 50
COMPARES = 2000  # 50 evaluators × 2,000 compare items = 100,000 judgments
RANKS = 500  # 50 × 500 rankings of 4 = 25,000 judgments, 150,000 preferences
RUNS = 3


def timed(
    workspace: Workspace, study: str, format: ExportFormat, path: Path
) -> tuple[float, list[str]]:
    """The median of RUNS exports, and a table row's cells: records, file size, times."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        report = export_study(workspace, study, format, path)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    return median, [
        f"`{format.value}`",
        f"{report.rows:,}",
        f"{report.records:,}",
        f"{path.stat().st_size / 1e6:.0f} MB",
        f"**{median:.2f} s** ({runs})",
        f"{report.records / median:,.0f}",
    ]


def main() -> None:
    rows: list[tuple[str, float, list[str]]] = []
    both = (ExportFormat.JUDGMENTS_JSONL, ExportFormat.PREFERENCES)
    studies: tuple[
        tuple[str, Callable[[Workspace, Path], Study], tuple[ExportFormat, ...]], ...
    ] = (
        ("compare", lambda w, f: bulk_comparisons(w, f, EVALUATORS, COMPARES, 2), both),
        ("rank of 4", lambda w, f: bulk_comparisons(w, f, EVALUATORS, RANKS, 4), both),
        (
            "single, with assistance",
            lambda w, f: bulk_study(w, f, EVALUATORS, COMPARES),
            (ExportFormat.JUDGMENTS_JSONL,),
        ),
    )
    setup = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for n, (label, build, formats) in enumerate(studies):
            folder = Path(tmp) / str(n)  # a workspace of its own: no study slows another
            folder.mkdir()
            workspace = open_workspace(folder / "workspace.sqlite")
            started = time.perf_counter()
            study = build(workspace, folder)
            setup += time.perf_counter() - started
            for format in formats:
                median, cells = timed(workspace, study.name, format, folder / "out.jsonl")
                rows.append((label, median, cells))
            workspace.close()
    one, five, _ = os.getloadavg()
    single = rows[-1][1]  # the single-item judgments, last
    body = "\n".join(
        [
            "## Export of comparisons and rankings (`bench/bench_export_comparisons.py`)",
            "",
            f"{EVALUATORS} evaluators; {EVALUATORS * COMPARES:,} judgments of {COMPARES:,} "
            "compare items of two text answers (one in five a tie, which states no "
            f"preference), {EVALUATORS * RANKS:,} of {RANKS} rank items of four; and, for "
            f"the ratio, bench_export.py's {EVALUATORS * COMPARES:,} single-item judgments "
            "(three in four with assistance, which the comparisons have none of). Records "
            "through the real import, then judgments and their orders inserted in bulk "
            f"(tests/support/bulk_comparisons.py, bulk_study.py): {setup:.0f} s.",
            "",
            "| items | format | judgments | records | file | time (median of "
            f"{RUNS}) | records/s | time × single |",
            "|---|---|---|---|---|---|---|---|",
            *(
                f"| {label} | {' | '.join(cells)} | {median / single:.2f} |"
                for label, median, cells in rows
            ),
            "",
            "Target: 100,000 comparison judgments under 5 s in each format. Run on a shared "
            f"machine (load average {one:.2f} over 1 min, {five:.2f} over 5 at the end); the "
            "ratio to the single-item export of the same run is the figure to compare across "
            "runs.",
            "",
            "Profiled (cProfile, 2026-12-06, 20,000 compare judgments): a fifth of the time "
            "reading and checking the stored orders (`store/judgments.orders_of`), an eighth "
            "drawing each evaluator's order shown (`core/comparison.shown_order`: a study "
            "without a plan stores none), an eighth encoding JSON; the rest is the work every "
            "judgment export does (the query, the judgment rows, the record).",
        ]
    )
    print(body)
    write_section("bench_export_comparisons", body)


if __name__ == "__main__":
    main()
