"""Artificial sandwiching on the demo study with the bundled model in both roles: the grid of
the issue (adversarial, p = 0, 0.25, 0.5, 0.75, 1, three repeats) through the real services.
Writes time per item, total time, the curve and a token-based estimate for a 7B model behind
an OpenAI-compatible server into docs/perf.md, and the report (HTML and JSON) beside the
workspace. Resumable: give the same --workspace again after an interrupt."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from perf_doc import write_section

from evalstudio.core.expert import AssistantSource
from evalstudio.core.misleading import Misalignment
from evalstudio.services.assistance.model_roles import role
from evalstudio.services.models.model_evaluator import Progress
from evalstudio.services.models.sandwich import Sweep, parse_ps, run_sweep
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import open_workspace

# Assumed throughput of a 7B model (Q4, llama.cpp server or vLLM), one request at a time as a
# sweep makes them: on one 24 GB GPU, and on this 2-core CPU. Estimates, not measurements.
SERVERS = {
    "7B on one 24 GB GPU (assumed: prompt 3,000 tok/s, decode 60 tok/s)": (3000.0, 60.0),
    "7B on this 2-core CPU (assumed: prompt 20 tok/s, decode 2 tok/s)": (20.0, 2.0),
}


EVALUATOR_TOKENS = 256
_SOURCES = {
    AssistantSource.MODEL: "the assistant model's own",
    AssistantSource.EXPERT: "the expert's copy (the answer key, worded by the assistant model)",
    AssistantSource.EXPERT_TEMPLATE: "the expert's copy (the answer key, worded by a template)",
}
ASSISTANT_TOKENS = 512


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--p", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--misalignment", default="adversarial")
    parser.add_argument(
        "--assistant",
        default="model",
        choices=[s.value for s in AssistantSource],
        help="the honest critiques: the assistant model's, or the expert's copy (answer key)",
    )
    parser.add_argument(
        "--evaluator-tokens",
        type=int,
        default=EVALUATOR_TOKENS,
        help="the recorded model run used 256 (kept so it resumes); the CLI's default is 384",
    )
    parser.add_argument(
        "--threads", type=int, help="CPU threads per model (1 keeps pace beside other work)"
    )
    args = parser.parse_args()
    source = AssistantSource(args.assistant)
    path = args.workspace or Path(tempfile.mkdtemp()) / "sandwich.sqlite"
    workspace = open_workspace(path)
    study = studies.ensure_demo_study(workspace)
    sweep = Sweep(
        Misalignment(args.misalignment), parse_ps(args.p), args.repeats, "bench", source=source
    )
    # The run recorded in docs/perf.md was made with 256 evaluator tokens (the CLI now
    # defaults to 384): kept, so that rerunning this script resumes that run.
    evaluator = role(
        "bundled", max_tokens=args.evaluator_tokens, temperature=0.7, threads=args.threads
    )
    assistant = role("bundled", max_tokens=ASSISTANT_TOKENS, temperature=0.7, threads=args.threads)

    def progress(p: Progress) -> None:
        print(f"{p.done}/{p.total} {p.label} {p.last.seconds:.1f} s", flush=True)

    start = time.monotonic()
    result = run_sweep(workspace, study, sweep, evaluator, assistant, on_progress=progress)
    wall = time.monotonic() - start
    report = build_report(workspace, study.name)
    run = next(r for r in report.model_evaluators if r.run_id == result.run_id)
    page, _ = report_page(report, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    path.with_suffix(".html").write_text(page, encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(report.to_json(), indent=2), "utf-8")
    # Time from the stored judgments (each item's wall time, from opening it to its final
    # judgment), so a rerun on a finished workspace writes the same figures.
    seconds = {
        row["p"]: (row["total"], row["items"])
        for row in workspace.db.query(
            "SELECT c.p, sum(j.active_ms) / 1000.0 AS total, count(*) AS items "
            "FROM judgments j JOIN sandwich_cells c ON c.evaluator_id = j.evaluator_id "
            "WHERE c.run_id = ? AND j.stage = 'final' GROUP BY c.p",
            [result.run_id],
        )
    }
    total_seconds = sum(total for total, _ in seconds.values())
    counts = {
        table: next(
            iter(
                workspace.db.query(
                    "SELECT count(*) AS requests, count(reused_from) AS replayed "
                    f"FROM {table} WHERE outcome = 'done'"
                )
            )
        )
        for table in ("judge_calls", "assist_events")
    }
    workspace.close()
    items = run.total // max(run.cells, 1)
    tokens = run.tokens_per_item
    lines = [
        f"Demo study ({items} items, {items // 2} pairs), bundled SmolLM2-135M-Instruct as both "
        f"the weak evaluator and the assistant; misalignment {args.misalignment}, p = {args.p}, "
        f"{args.repeats} repeats: {run.cells} cells, {run.total} item judgments; temperature "
        f"0.7, at most {args.evaluator_tokens} tokens per judgment and {ASSISTANT_TOKENS} per "
        f"critique; honest critiques: {_SOURCES[source]}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| judged | {run.judged} of {run.total} (in this run {result.judged}, "
        f"{wall / 60:.1f} min; left undone {len(result.failed)}) |",
        f"| total time judging (sum of every item's wall time) | {total_seconds / 60:.1f} min |",
        f"| time per judged item (mean, replays included) | {run.seconds_per_item or 0:.1f} s |",
    ]
    for table, label in (("judge_calls", "evaluator"), ("assist_events", "assistant")):
        c = counts[table]
        lines.append(
            f"| {label} requests computed / replayed | "
            f"{c['requests'] - c['replayed']} / {c['replayed']} |"
        )
    lines += [
        f"| tokens per judged item, evaluator (prompt + completion) | "
        f"{tokens.get('evaluator_prompt', 0):.0f} + {tokens.get('evaluator_completion', 0):.0f} |",
        f"| tokens per judged item, assistant (prompt + completion) | "
        f"{tokens.get('assistant_prompt', 0):.0f} + {tokens.get('assistant_completion', 0):.0f} |",
        "",
        "| p | s/item | alone | + assistant | assistant alone | gain | manipulated | followed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for point in run.points:
        cells = [point.alone, point.assisted, point.assistant, point.gain, point.followed]
        shown = [
            "—"
            if c.value is None
            else f"{c.value:.0%}"
            + (f" [{c.low:.0%}, {c.high:.0%}]" if c.low is not None and c.high is not None else "")
            for c in cells
        ]
        rate = f"{point.manipulation_rate:.0%}" if point.manipulation_rate is not None else "—"
        total, judged = seconds.get(point.p, (0.0, 0))
        per_item = f"{total / judged:.1f}" if judged else "—"
        lines.append(
            f"| {point.p:g} | {per_item} | {' | '.join(shown[:4])} | {rate} | {shown[4]} |"
        )
    lines += ["", run.summary, "", "Estimate for the same grid with a 7B model in both roles:", ""]
    prompt = tokens.get("evaluator_prompt", 0) + tokens.get("assistant_prompt", 0)
    completion = tokens.get("evaluator_completion", 0) + tokens.get("assistant_completion", 0)
    share = sum(c["requests"] - c["replayed"] for c in counts.values()) / max(
        sum(c["requests"] for c in counts.values()), 1
    )
    lines += ["| server | per item | whole grid |", "|---|---|---|"]
    for name, (prompt_rate, decode_rate) in SERVERS.items():
        per_item = prompt / prompt_rate + completion / decode_rate
        grid = per_item * run.total * share
        lines.append(f"| {name} | {per_item:.0f} s | {grid / 3600:.1f} h |")
    lines += [
        "",
        f"Per item: the tokens of every request as if computed ({prompt:.0f} prompt + "
        f"{completion:.0f} completion); the grid: × {run.total} items × {share:.2f}, the share "
        "of requests that had to be computed (the others were replays of the same seeded "
        "request in another cell of the same repeat).",
    ]
    lines += [f"- left undone: {failure}" for failure in result.failed]
    body = "\n".join(lines)
    write_section("bench_sandwich_expert" if source.expert else "bench_sandwich", body)
    print(body)
    print(f"report: {path.with_suffix('.html')}")


if __name__ == "__main__":
    main()
