"""Build the study report on 10,000 judgments (2,000 bootstrap resamples, 2,000 permutations)
from a study stored through the real services, and write the time into docs/perf.md."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from perf_doc import write_section

from evalstudio.core.model import LineRange, Severity, Verdict
from evalstudio.core.review import Condition, JudgmentForm, ReportedFlaw, Stage
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import open_workspace
from evalstudio.store import content

EVALUATORS = 50
PAIRS = 200  # 50 evaluators × 200 pairs = 10,000 judgments (each sees one twin of each)
RUNS = 3


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    tasks = folder / "tasks.jsonl"
    with tasks.open("w", encoding="utf-8") as f:
        for n in range(PAIRS):
            common = {"prompt": f"Write f{n}.", "kind": "code", "pair_id": f"p{n}"}
            f.write(
                json.dumps(
                    {
                        **common,
                        "id": f"p{n}-ok",
                        "truth": "correct",
                        "candidate": f"def f{n}(a, b):\n    return a + b\n",
                    }
                )
                + "\n"
            )
            f.write(
                json.dumps(
                    {
                        **common,
                        "id": f"p{n}-bug",
                        "truth": "flawed",
                        "candidate": f"def f{n}(a, b):\n    return a - b\n",
                        "flaw_description": "subtracts",
                        "flaw_lines": [2, 2],
                    }
                )
                + "\n"
            )
    names = [f"E{i:02}" for i in range(EVALUATORS)]
    (folder / "study.toml").write_text(
        f'name = "Bench"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = {json.dumps(names)}\n',
        encoding="utf-8",
    )
    workspace = open_workspace(folder / "workspace.sqlite")
    started = time.perf_counter()
    create_study(workspace, folder / "study.toml")
    study = studies.study_named(workspace, "Bench")
    truth = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    item_to_candidate = {
        item: cand for cand, item in content.item_ids_by_candidate(workspace.db, study.id).items()
    }
    rng = np.random.default_rng(7)
    flaw = ReportedFlaw(Severity.MAJOR, "subtracts", lines=LineRange(2, 2))
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for entry in session.queue:
            flawed = truth[item_to_candidate[entry.item.item_id]].value == "flawed"
            chance = 0.45 if entry.condition is Condition.ASSISTED else 0.27
            says = rng.random() < (chance if flawed else 0.1)
            form = JudgmentForm(
                Verdict.FLAWED if says else Verdict.ACCEPTABLE, 4, 3, (flaw,) if says else ()
            )
            session.submit(entry.item.item_id, Stage.FINAL, form)
    setup = time.perf_counter() - started
    judgments = workspace.db["judgments"].count

    times, page_times = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        report = build_report(workspace, "Bench")
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        report_page(report, "bench")
        page_times.append(time.perf_counter() - started)
    effect = report.effects[0]
    body = f"""
## Study report (`bench/bench_report.py`)

{judgments:,} judgments ({EVALUATORS} evaluators × {PAIRS} pairs, unassisted vs assisted, made
through the review service in {setup:.0f} s). `build_report`: scores every current judgment
from the workspace, per-condition rates, CGM-t intervals, the two-way bootstrap with 2,000
resamples and 2,000 within-evaluator permutations.

| step | median of {RUNS} | target |
|---|---|---|
| numbers (`evalstudio report --json`) | {statistics.median(times):.2f} s | < 5 s |
| HTML page with its four figures, from those numbers | {statistics.median(page_times):.2f} s | |

Planted 27% → 45%: measured {effect.effect.rate_control:.0%} → {effect.effect.rate_treated:.0%},
D = {effect.effect.difference:+.1%}.
"""
    write_section("bench_report", body)
    print(body)


if __name__ == "__main__":
    main()
