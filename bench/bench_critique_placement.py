"""Where the bundled model's critique points land (issue 19 §1): over the demo's items and
perturbation pairs built from outside code (small functions of Python's own standard library,
one operator mutated), how many points are inside the candidate, how many the quote moved
(snapped), how many are unplaced, and line precision on flawed twins: the share of placed
points that overlap the planted lines, beside the same share for the lines the model named.

Every critique goes through the app's path (`Assistant.request`: the numbered prompt, the
schema bounded to the candidate, the log row), with fixed seeds.

    python bench/bench_critique_placement.py [--seeds-demo 3] [--seeds-outside 2] [--pairs 20]
        [--max-tokens 256]
"""

from __future__ import annotations

import argparse
import ast
import collections
import importlib
import inspect
import json
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from perf_doc import write_section

from evalstudio.core.assistance import AssistKind, Critique, Outcome
from evalstudio.core.model import Candidate, Kind, LineRange, Truth, inside
from evalstudio.core.perturbation import changed_lines
from evalstudio.core.point_placement import Placement, place
from evalstudio.services.assistance.assistant import Assistant, critique_of
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import open_workspace
from evalstudio.store import content

MODULES = (
    "bisect", "heapq", "colorsys", "calendar", "posixpath", "genericpath", "textwrap",
    "fnmatch", "shlex", "string", "statistics", "random", "difflib", "html", "base64",
    "quopri", "ipaddress", "fractions", "datetime", "copy", "operator", "keyword",
    "urllib.parse", "ntpath", "glob", "gettext", "email.utils", "tokenize", "pprint",
)  # fmt: skip
PER_MODULE = 3  # so one module's style does not make the sample
# One operator changed on one line: the flaws the demo plants (boundaries, off by one).
MUTATIONS = (
    (" <= ", " < "), (" < ", " <= "), (" >= ", " > "), (" > ", " >= "), (" + 1", " - 1"),
    (" - 1", " + 1"), (" == ", " != "), (" != ", " == "), (" and ", " or "), (" or ", " and "),
)  # fmt: skip


def outside_pairs(limit: int) -> list[dict[str, object]]:
    """Pairs from standard-library functions of 5-30 lines: the function as written is the
    correct twin; the first line (after its signature) with a mutable operator, mutated, the
    flawed one. Docstrings are dropped, so the prompt's one-line summary is all it says."""
    records: list[dict[str, object]] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        taken = 0
        for function in _functions(module):
            if len(records) >= 2 * limit:
                return records
            if taken == PER_MODULE:
                break
            try:
                summary, source = _without_docstring(function)
            except (OSError, TypeError, SyntaxError):  # no source (a C function's alias)
                continue
            lines = source.splitlines()
            if not 5 <= len(lines) <= 30:
                continue
            flawed = _mutated(lines)
            if flawed is None:
                continue
            planted = changed_lines(source, flawed)
            assert planted is not None
            taken += 1
            pair = f"{name}.{function.__name__}"
            prompt = f"Write `{function.__name__}` as in Python's `{name}` module. {summary}"
            common = {"pair_id": pair, "task_id": pair, "prompt": prompt, "kind": "code"}
            records.append({"id": f"{pair}-1", **common, "candidate": source, "truth": "correct"})
            records.append(
                {
                    "id": f"{pair}-2",
                    **common,
                    "candidate": flawed,
                    "truth": "flawed",
                    "flaw_description": "one operator changed",
                    "flaw_lines": [planted.start, planted.end],
                }
            )
    return records


def _functions(module: object) -> list[object]:
    found = []
    for _, value in sorted(vars(module).items()):
        public = not value.__name__.startswith("_") if inspect.isfunction(value) else False
        if public and value.__module__ == getattr(module, "__name__", ""):
            found.append(value)
    return found


def _without_docstring(function: object) -> tuple[str, str]:
    source = textwrap.dedent(inspect.getsource(function))  # type: ignore[arg-type]
    tree = ast.parse(source)
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    summary = (ast.get_docstring(node) or "").strip().split("\n\n")[0].replace("\n", " ")
    if ast.get_docstring(node) is not None:
        node.body = node.body[1:] or [ast.Pass()]
    return summary[:300], ast.unparse(tree) + "\n"


def _mutated(lines: list[str]) -> str | None:
    for number, line in enumerate(lines[1:], start=1):
        for old, new in MUTATIONS:
            if old in line:
                changed = [*lines]
                changed[number] = line.replace(old, new, 1)
                return "\n".join(changed) + "\n"
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds-demo", type=int, default=3)
    parser.add_argument("--seeds-outside", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=20)
    # Points cut off by the limit are not counted (the parser keeps complete points only).
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        workspace = open_workspace(Path(folder) / "w.sqlite")
        demo = studies.ensure_demo_study(workspace)
        pairs = outside_pairs(args.pairs)
        path = Path(folder) / "outside.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in pairs))
        outside = import_tasks(workspace, path, "Outside").study
        assistant = Assistant.start(workspace, ModelSettings())
        for study, seeds, source in (
            (demo, args.seeds_demo, "demo"),
            (outside, args.seeds_outside, "outside"),
        ):
            candidates = {c.id: c for c in content.candidates_of_study(workspace.db, study.id)}
            items = content.item_ids_by_candidate(workspace.db, study.id)
            kinds = {v.item_id: v.kind for v in content.item_views(workspace.db, study.id)}
            for candidate_id, item_id in items.items():
                candidate = candidates[candidate_id]
                for seed in range(1, seeds + 1):
                    started = time.monotonic()
                    event = assistant.request(
                        item_id, AssistKind.CRITIQUE, seed=seed, max_tokens=args.max_tokens
                    ).wait()
                    seconds.append(time.monotonic() - started)
                    counts["critiques"] += 1
                    counts[f"critiques {source}"] += 1
                    if event.outcome is not Outcome.DONE:
                        counts["failed"] += 1
                        continue
                    _count(counts, critique_of(event.response), candidate, kinds[item_id])
        assistant.close()
        workspace.close()
    body = _table(counts, seconds, args.max_tokens)
    print(body)
    write_section("bench_critique_placement", body)


def _count(
    counts: collections.Counter[str], critique: Critique, candidate: Candidate, kind: Kind
) -> None:
    text = candidate.text
    planted = candidate.flaw
    for point in critique.points:
        placed = place(point, text)
        counts["points"] += 1
        counts[f"placement {placed.placement.value}"] += 1
        counts["quoted"] += bool(point.quote)
        counts["quote found"] += placed.span is not None
        if point.lines is not None and not inside(point.lines, text):
            counts["named outside"] += 1
        if placed.lines is not None and not inside(placed.lines, text):
            counts["shown outside"] += 1
        flawed_code = candidate.truth is Truth.FLAWED and kind is Kind.CODE
        if flawed_code and planted is not None and planted.lines is not None:
            counts["flawed points"] += 1
            counts["named at plant"] += _at(point.lines, planted.lines, text)
            if placed.lines is not None:
                counts["placed flawed points"] += 1
                counts["placed at plant"] += placed.lines.overlaps(planted.lines)


def _at(lines: LineRange | None, planted: LineRange, text: str) -> bool:
    return lines is not None and inside(lines, text) and lines.overlaps(planted)


def _table(counts: collections.Counter[str], seconds: list[float], max_tokens: int) -> str:
    points = counts["points"] or 1

    def share(key: str, of: int = points) -> str:
        return f"{counts[key]} ({100 * counts[key] / (of or 1):.0f}%)"

    return "\n".join(
        [
            "## Critique points: placed by quote (bench_critique_placement.py)",
            "",
            "| figure | value |",
            "|---|---|",
            f"| critiques (demo · outside pairs) | {counts['critiques']} "
            f"({counts['critiques demo']} · {counts['critiques outside']}); "
            f"failed {counts['failed']} |",
            f"| seconds per critique (median) | {statistics.median(seconds):.1f} |",
            f"| points | {counts['points']} |",
            f"| shown inside the candidate | {points - counts['shown outside']} "
            f"({100 * (points - counts['shown outside']) / points:.0f}%) |",
            f"| named lines outside the candidate | {share('named outside')} |",
            f"| with a quote · quote found | {share('quoted')} · {share('quote found')} |",
            f"| placed as named | {share('placement ' + Placement.NAMED.value)} |",
            f"| snapped to their quote | {share('placement ' + Placement.SNAPPED.value)} |",
            f"| unplaced | {share('placement ' + Placement.UNPLACED.value)} |",
            f"| general (no lines, no quote found) | "
            f"{share('placement ' + Placement.GENERAL.value)} |",
            f"| line precision on flawed code twins, lines as named | "
            f"{share('named at plant', counts['flawed points'])} |",
            f"| line precision on flawed code twins, as placed | "
            f"{share('placed at plant', counts['placed flawed points'])} |",
            "",
            "Outside pairs: small functions of Python's standard library (docstring dropped), "
            "one operator mutated on one line (`<`/`<=`, `+ 1`/`- 1`, `==`/`!=`, "
            "`and`/`or`); the prompt is the function's name and docstring summary. Line "
            "precision: the share of points on a flawed twin (placed ones, for the second "
            "row) whose lines overlap the planted line. At most "
            f"{max_tokens} tokens per critique (the app's default is 512): a point cut off "
            "is not counted.",
        ]
    )


if __name__ == "__main__":
    main()
