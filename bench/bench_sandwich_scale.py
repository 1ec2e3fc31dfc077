"""One cell of a sandwich sweep (p = 0, one repeat: every request computed, none replayed) on
the demo study, with the bundled model in both roles, run in the same session: against
llama.cpp's llama-server (4 slots, started here on 127.0.0.1) at concurrency 1 and 4, with
and without the server reusing the judge's cached prompt prefix, and against the in-process
engine. Writes items per minute, tokens per item and whether the stored judgments and texts
came out the same into docs/perf.md (section `bench_sandwich_scale`).

Needs `make llama-server`. `--pairs K` runs the first K pairs of the demo study (all 21 by
default)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from perf_doc import write_section

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.llama_server import LLAMA_CPP_VERSION, llama_server

from evalstudio.core.misleading import Misalignment
from evalstudio.services.assistance.model_roles import Role, role
from evalstudio.services.models.sandwich import Sweep, run_sweep
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.services.workspace.resources import demo_dir

EVALUATOR_TOKENS = 384  # the CLI's defaults
ASSISTANT_TOKENS = 512
STUDY = "Demo subset"


@dataclass(frozen=True)
class Measured:
    label: str
    items: int
    failed: int
    seconds: float
    prompt_tokens: float  # per item, every request of the item
    completion_tokens: float
    stored: dict[str, list[tuple[object, ...]]]

    @property
    def per_minute(self) -> float:
        return self.items / self.seconds * 60 if self.seconds else 0.0


def _study(folder: Path, pairs: int) -> Path:
    """A workspace holding the demo study's first `pairs` pairs as the study STUDY."""
    records = [json.loads(line) for line in (demo_dir() / "tasks.jsonl").open(encoding="utf-8")]
    kept = list(dict.fromkeys(r.get("pair_id") for r in records if r.get("pair_id")))[:pairs]
    subset = folder / "tasks.jsonl"
    subset.write_text(
        "".join(json.dumps(r) + "\n" for r in records if r.get("pair_id") in kept), encoding="utf-8"
    )
    path = folder / "study.sqlite"
    workspace = open_workspace(path)
    import_tasks(workspace, subset, STUDY)
    workspace.close()
    return path


def _stored(workspace: Workspace) -> dict[str, list[tuple[object, ...]]]:
    db = workspace.db
    return {
        "judgments": sorted(
            db.execute("SELECT study_item_id, stage, verdict, confidence FROM judgments").fetchall()
        ),
        "texts": sorted(
            db.execute(
                "SELECT study_item_id, stage, response FROM judge_calls WHERE outcome = 'done' "
                "UNION ALL SELECT study_item_id, kind, response FROM assist_events "
                "WHERE outcome = 'done'"
            ).fetchall()
        ),
    }


def _cell(template: Path, folder: Path, label: str, evaluator: Role, assistant: Role) -> Measured:
    path = folder / f"{label.replace(' ', '-').replace(',', '')}.sqlite"
    shutil.copyfile(template, path)
    workspace = open_workspace(path)
    try:
        study = studies.study_named(workspace, STUDY)
        sweep = Sweep(Misalignment.ADVERSARIAL, (0.0,), 1, "scale")
        print(f"{label} ...", flush=True)
        start = time.monotonic()
        result = run_sweep(workspace, study, sweep, evaluator, assistant)
        seconds = time.monotonic() - start
        tokens = workspace.db.execute(
            "SELECT sum(p), sum(c) FROM ("
            "SELECT prompt_tokens p, completion_tokens c FROM judge_calls WHERE outcome = 'done' "
            "UNION ALL SELECT prompt_tokens, completion_tokens FROM assist_events "
            "WHERE outcome = 'done')"
        ).fetchone()
        judged = max(result.judged, 1)
        measured = Measured(
            label,
            result.judged,
            len(result.failed),
            seconds,
            (tokens[0] or 0) / judged,
            (tokens[1] or 0) / judged,
            _stored(workspace),
        )
    finally:
        workspace.close()
    print(f"  {measured.items} items in {seconds:.0f} s: {measured.per_minute:.2f} per min")
    return measured


def _roles(spec: str, concurrency: int, prompt_cache: bool = False) -> tuple[Role, Role]:
    def one(tokens: int) -> Role:
        made = role(spec, max_tokens=tokens, temperature=0.7, concurrency=concurrency, threads=2)
        if made.settings.server is None:
            return made
        server = replace(made.settings.server, prompt_cache=prompt_cache)
        return replace(made, settings=replace(made.settings, server=server))

    return one(EVALUATOR_TOKENS), one(ASSISTANT_TOKENS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=21)
    parser.add_argument("--slots", type=int, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    template = _study(folder, args.pairs)
    runs: list[Measured] = []
    with llama_server(folder / "server.log", slots=args.slots, threads=2) as server:
        for n in (1, 4):
            runs.append(_cell(template, folder, f"server, concurrency {n}", *_roles(server.url, n)))
        runs.append(
            _cell(
                template,
                folder,
                "server, concurrency 4, prefix reused",
                *_roles(server.url, 4, prompt_cache=True),
            )
        )
    runs.append(_cell(template, folder, "in-process engine", *_roles("bundled", 1)))
    base = runs[0]
    items = base.items
    lines = [
        f"One sweep cell (p = 0, one repeat: every request computed) on the first {args.pairs} "
        f"pairs of the demo study ({items} items), bundled SmolLM2-135M-Instruct as the weak "
        f"evaluator and the assistant, at most {EVALUATOR_TOKENS} tokens per judgment and "
        f"{ASSISTANT_TOKENS} per critique; llama.cpp's llama-server "
        f"(the llama.cpp vendored in llama-cpp-python {LLAMA_CPP_VERSION}, portable build) with "
        f"{args.slots} slots, 2 threads, started by the bench on 127.0.0.1; all in one run.",
        "",
        "| run | items/min | vs concurrency 1 | prompt + completion tokens per item | "
        "same judgments as concurrency 1 | same texts |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.label} | {run.per_minute:.2f} | {run.per_minute / base.per_minute:.2f}× | "
            f"{run.prompt_tokens:.0f} + {run.completion_tokens:.0f} | "
            f"{_same(run.stored['judgments'], base.stored['judgments'])} | "
            f"{_same(run.stored['texts'], base.stored['texts'])} |"
        )
    lines += [f"- {run.label}: {run.failed} items left undone" for run in runs if run.failed]
    body = "\n".join(lines)
    write_section("bench_sandwich_scale", body)
    print(body)


def _same(a: list[tuple[object, ...]], b: list[tuple[object, ...]]) -> str:
    if a == b:
        return "yes"
    differing = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
    return f"no ({differing} of {max(len(a), len(b))} differ)"


if __name__ == "__main__":
    main()
