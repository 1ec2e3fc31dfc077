"""Import 10,000 tasks from JSONL into a fresh workspace (target: under 1 s), and 20,000 to
show that the cost grows linearly."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from perf_doc import write_section

from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import open_workspace

CODE = """def f{n}(xs):
    total = 0
    for x in xs:
        if x > {n}:
            total += x
    return total
"""


def write_tasks(path: Path, count: int) -> None:
    """`count` code records, as count/2 pairs of a correct answer and a flawed twin."""
    with path.open("w", encoding="utf-8") as f:
        for p in range(count // 2):
            prompt = f"Write f{p}(xs): the sum of the items of xs greater than {p}."
            base = {"prompt": prompt, "kind": "code", "language": "python", "pair_id": f"p{p}"}
            correct = {**base, "id": f"p{p}-ok", "candidate": CODE.format(n=p), "truth": "correct"}
            flawed = {
                **base,
                "id": f"p{p}-bug",
                "candidate": CODE.format(n=p).replace(">", ">="),
                "truth": "flawed",
                "flaw_description": ">= counts the boundary",
                "flaw_lines": [4, 4],
            }
            f.write(json.dumps(correct) + "\n" + json.dumps(flawed) + "\n")


def time_import(count: int, repeats: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "tasks.jsonl"
        write_tasks(source, count)
        for run in range(repeats):
            workspace = open_workspace(Path(tmp) / f"ws{run}.sqlite")
            start = time.perf_counter()
            report = import_tasks(workspace, source, "Bench")
            times.append(time.perf_counter() - start)
            assert report.items == count and report.pairs == count // 2
            workspace.close()
    return times


def main() -> None:
    small = time_import(10_000, repeats=5)
    large = time_import(20_000, repeats=3)
    m_small, m_large = statistics.median(small), statistics.median(large)
    runs_small, runs_large = (", ".join(f"{t:.3f}" for t in runs) for runs in (small, large))
    body = f"""## Import of tasks from JSONL (`bench/bench_import.py`)

| records | median of runs | runs (s) | per 1,000 records |
|---|---|---|---|
| 10,000 (5,000 pairs) | **{m_small:.3f} s** | {runs_small} | {m_small / 10:.4f} s |
| 20,000 (10,000 pairs) | {m_large:.3f} s | {runs_large} | {m_large / 20:.4f} s |

Target: 10,000 under 1 s. Growth 10k to 20k: {m_large / m_small:.2f} times (linear is 2.00).
Measured into a fresh workspace file each run: read, check every record, plan pairs, one
transaction. For comparison (figures from the issue, same kind of machine): Label Studio
1.23.2 takes 2.6 s and Potato 2.12.1 about 2.1 s for 10,000 tasks."""
    print(body)
    write_section("bench_import", body)


if __name__ == "__main__":
    main()
