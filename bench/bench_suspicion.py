"""Suspicion on the bundled model: ms per line with the item's prefix warmed, a 30-line
candidate scored after the warm-up, and the line-level AUC of the scores against the planted
lines on the demo's flawed twins (with the AUC of "later line = more suspicious" beside it,
since the demo's planted lines lean towards the end)."""

from __future__ import annotations

import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path

from perf_doc import write_section

from evalstudio.core.model import Kind, Truth
from evalstudio.core.suspicion import line_auc, top_units
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.assistance.suspicion import SuspicionRun, _planted_lines
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import open_workspace
from evalstudio.store import content

NOTE = (
    "Each line's prompt is the item's system message plus a short question ending in "
    "the line number, scored through `score_cached` (the cached common prefix is "
    "kept; only the last ~10 tokens are evaluated). Evaluated afresh instead "
    "(`score`), a line cost ~4.1 s here (an 855-token prompt). The 30-line time "
    "includes the first line's question header."
)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        workspace = open_workspace(Path(folder) / "w.sqlite")
        study = studies.ensure_demo_study(workspace)
        assistant = Assistant.start(workspace, ModelSettings())
        assistant.backend.info()
        views = content.item_views(workspace.db, study.id)
        per_line: list[float] = []
        pooled_s: list[float] = []
        pooled_p: list[bool] = []
        within: dict[Kind, list[float]] = {Kind.CODE: [], Kind.TEXT: []}
        position: list[float] = []
        top1 = top3 = flawed_code = 0
        for view in views:
            found = content.task_and_candidate(workspace.db, view.item_id)
            assert found is not None
            _, candidate = found
            if candidate.truth is not Truth.FLAWED:
                continue
            assistant.open_item(view.item_id)
            assistant._warming.wait()  # type: ignore[union-attr]
            run = SuspicionRun(assistant, view.item_id)
            stamps: list[float] = []

            def stamp(_done: int, got: list[float] = stamps) -> None:
                got.append(time.monotonic())

            run.run(on_unit=stamp)
            per_line += [b - a for a, b in itertools.pairwise(stamps)]
            planted = _planted_lines(candidate)
            positive = [u.line in planted for u in run.units]
            auc = line_auc(run.scores, positive)
            if auc is not None:
                within[view.kind].append(auc)
                pooled_s += run.scores
                pooled_p += positive
            if view.kind is Kind.CODE:
                flawed_code += 1
                pos_auc = line_auc([float(u.line) for u in run.units], positive)
                if pos_auc is not None:
                    position.append(pos_auc)
                ranked = [run.units[i].line for i in top_units(run.scores)]
                top1 += ranked[0] in planted
                top3 += any(line in planted for line in ranked)
        # A 30-line candidate: scored right after its prefix is warmed.
        thirty = "\n".join(f"x{n} = {n} * 2  # step {n}" for n in range(1, 31))
        long_item = next(v for v in views if v.kind is Kind.CODE)
        db = workspace.db
        with db.atomic():
            db.execute(
                "UPDATE candidates SET text = ? WHERE id = (SELECT candidate_id FROM study_items "
                "WHERE id = ?)",
                [thirty, long_item.item_id],
            )
        assistant.open_item(long_item.item_id)
        assistant._warming.wait()  # type: ignore[union-attr]
        started = time.monotonic()
        SuspicionRun(assistant, long_item.item_id).run()
        thirty_s = time.monotonic() - started
        assistant.close()
        workspace.close()
    pooled = line_auc(pooled_s, pooled_p)
    body = "\n".join(
        [
            "## Suspicion (bench_suspicion.py)",
            "",
            "| figure | value |",
            "|---|---|",
            f"| ms per line, prefix warmed (median) | {1000 * statistics.median(per_line):.0f} |",
            f"| 30-line candidate after its warm-up | {thirty_s:.2f} s (target 3 s) |",
            f"| line AUC, pooled over the demo's flawed twins | {pooled:.2f} |",
            f"| line AUC within item, code (mean of {len(within[Kind.CODE])}) | "
            f"{statistics.mean(within[Kind.CODE]):.2f} |",
            f"| line AUC within item, text (mean of {len(within[Kind.TEXT])}) | "
            + (f"{statistics.mean(within[Kind.TEXT]):.2f}" if within[Kind.TEXT] else "n/a")
            + " |",
            f"| baseline: later line scores higher, code | {statistics.mean(position):.2f} |",
            f"| planted line ranked first / in top 3, code | {top1}/{flawed_code} · "
            f"{top3}/{flawed_code} |",
            "",
            NOTE,
        ]
    )
    print(body)
    print(json.dumps({"per_line_ms": 1000 * statistics.median(per_line), "thirty_s": thirty_s}))
    write_section("bench_suspicion", body)


if __name__ == "__main__":
    main()
