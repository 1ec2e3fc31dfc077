"""Run latency (issue 19 §2): a call typed in the Run box, run against the candidate in the
sandbox (a fresh, confined interpreter per request), measured at the service (logged row
included). Cold: the first run of the process; warm: the next 30 (median and the slowest);
busy: while the bundled model generates on the same 2 cores. Target: under 1.5 s."""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from perf_doc import write_section
from support.builders import record, write_jsonl

from evalstudio.assist.backend import GenerationParams
from evalstudio.assist.local_llama import LocalLlama, LocalSettings
from evalstudio.services.sandbox.candidate_runs import examples_now, run_now
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import open_workspace
from evalstudio.services.workspace.resources import bundled_model
from evalstudio.store import content

SEARCH = (
    "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n"
    "        mid = (lo + hi) // 2\n        if items[mid] == target:\n            return mid\n"
    "        if items[mid] < target:\n            lo = mid + 1\n        else:\n"
    "            hi = mid - 1\n    return -1\n"
)
PROMPT = (
    "Write binary_search.\n\n>>> binary_search([1, 3, 5], 5)\n2\n>>> binary_search([], 4)\n-1\n\n"
    "- `binary_search([7], 7) -> 0`\n- `binary_search(None, 1)` raises `TypeError`\n"
)
WARM = 30


def timed(call: object) -> float:
    started = time.perf_counter()
    call()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    workspace = open_workspace(folder / "w.sqlite")
    tasks = write_jsonl(folder / "t.jsonl", [record("c", prompt=PROMPT, candidate=SEARCH)])
    study = import_tasks(workspace, tasks, "Bench").study
    item = content.item_views(workspace.db, study.id)[0].item_id

    def run() -> None:
        run_now(workspace, item, None, "binary_search([1, 3, 5], 5)")

    cold = timed(run)
    warm = [timed(run) for _ in range(WARM)]
    examples = [timed(lambda: examples_now(workspace, item, None)) for _ in range(5)]
    backend = LocalLlama(LocalSettings(bundled_model(), n_ctx=4096, n_threads=2))
    backend.info()
    stop = threading.Event()

    def generate() -> None:
        messages = [{"role": "user", "content": "Write a long story about a lighthouse."}]
        while not stop.is_set():
            stream = backend.stream(messages, GenerationParams(max_tokens=400))
            for _ in stream:
                if stop.is_set():
                    stream.cancel()

    worker = threading.Thread(target=generate)
    worker.start()
    time.sleep(2.0)
    busy = [timed(run) for _ in range(10)]
    stop.set()
    worker.join()
    backend.close()
    workspace.close()

    def row(name: str, values: list[float]) -> str:
        return f"| {name} | {len(values)} | {statistics.median(values):.0f} | {max(values):.0f} |"

    body = "\n".join(
        [
            "## Run: a call against the candidate in the sandbox (bench/bench_run.py)",
            "",
            "Milliseconds from the request to its logged result (a fresh confined interpreter "
            "per request: limits, Landlock, seccomp, audit hook). Target: under 1,500 ms.",
            "",
            "| case | runs | median ms | slowest ms |",
            "|---|---|---|---|",
            row("cold (first run of the process)", [cold]),
            row("warm", warm),
            row("Examples (4 examples, one child)", examples),
            row("while the bundled model generates", busy),
        ]
    )
    print(body)
    write_section("bench_run", body)


if __name__ == "__main__":
    main()
