"""Merge a session package holding 10,000 judgments into the owner's workspace, and write the
times into docs/perf.md: the first merge (everything new), the same package again (everything
already there), and writing the package."""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from perf_doc import write_section

from evalstudio.core.model import LineRange, Severity, Verdict
from evalstudio.core.review import JudgmentForm, ReportedFlaw, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import open_workspace

ITEMS = 10_000
RUNS = 3


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    with (folder / "tasks.jsonl").open("w", encoding="utf-8") as f:
        for n in range(ITEMS):
            f.write(
                json.dumps(
                    {
                        "id": f"t{n}",
                        "prompt": f"Write f{n}(a, b).",
                        "kind": "code",
                        "candidate": f"def f{n}(a, b):\n    return a + b\n",
                    }
                )
                + "\n"
            )
    (folder / "study.toml").write_text(
        'name = "Bench"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = ["Ada", "Bob"]\n',
        encoding="utf-8",
    )
    owner = open_workspace(folder / "owner.sqlite")
    create_study(owner, folder / "study.toml")

    times = []
    for _ in range(RUNS):
        package = folder / "ada.evs"
        package.unlink(missing_ok=True)
        started = time.perf_counter()
        export_package(owner, "Bench", "Ada", package)
        times.append(time.perf_counter() - started)

    started = time.perf_counter()
    judged = _judge_everything(package)
    judge_s = time.perf_counter() - started
    owner.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    owner.close()

    first, again = [], []
    for run in range(RUNS):
        target = folder / f"owner-{run}.sqlite"
        shutil.copyfile(folder / "owner.sqlite", target)
        workspace = open_workspace(target)
        started = time.perf_counter()
        summary = merge_file(workspace, package)
        first.append(time.perf_counter() - started)
        assert summary.tables["judgments"].added == judged
        started = time.perf_counter()
        merge_file(workspace, package)
        again.append(time.perf_counter() - started)
        workspace.close()
    rows = sum(c.added for c in summary.tables.values())
    mib = package.stat().st_size / 2**20
    body = f"""
## Merge of a returned session package (`bench/bench_merge.py`)

A package of one evaluator's {ITEMS:,} items ({mib:.1f} MiB), every item judged in it
through the review service ({judged:,} judgments, a flaw on every third, an "open" event each:
{rows:,} rows in all; made in {judge_s:.0f} s), merged into a copy of the owner's workspace.
Each merge checks the file first (copy, integrity check, references, scope) and writes in one
transaction. Machine: {_machine()}.

| step | median of {RUNS} | runs (s) | target |
|---|---|---|---|
| first merge (every row new) | **{_median(first)}** | {_runs(first)} | < 5 s |
| the same package again (every row already there) | {_median(again)} | {_runs(again)} | |
| writing the package (`session export`) | {_median(times)} | {_runs(times)} | |
"""
    write_section("bench_merge", body)
    print(body)


def _judge_everything(package: Path) -> int:
    """Judge every item of the package as the review window does, in one transaction (the
    package's rollback journal makes a commit per write slow to set up, not to merge)."""
    workspace = open_workspace(package)
    found = package_of(workspace)
    assert found is not None
    session = ReviewSession(workspace, found.study, found.evaluator)
    flaw = ReportedFlaw(Severity.MAJOR, "subtracts", lines=LineRange(2, 2))
    with workspace.db.atomic():
        for n, entry in enumerate(session.queue):
            item = entry.item.item_id
            session.opened(item)
            flaws = (flaw,) if n % 3 == 0 else ()
            verdict = Verdict.FLAWED if flaws else Verdict.ACCEPTABLE
            session.submit(item, Stage.FINAL, JudgmentForm(verdict, 4, 3, flaws, "checked"))
    workspace.close()
    return len(session.queue)


def _machine() -> str:
    """What perf_doc's stamp leaves out: memory and whether the CPU has AVX-512."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    memory = Path("/proc/meminfo").read_text().split()[1] if Path("/proc/meminfo").exists() else 0
    avx = "AVX-512" if "avx512f" in info else "no AVX-512"
    return f"{int(memory) / 2**20:.0f} GB RAM, {avx}"


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s"


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
