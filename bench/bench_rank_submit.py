"""Submit a judgment and show the next item in the review window (offscreen), on rank items of
7 answers with 4 rubric questions answered (target: under 30 ms, as single items), beside
single items with the same questions in the same run; figures into docs/perf.md."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="evalstudio-bench-config-")

from perf_doc import write_section
from PySide6.QtWidgets import QApplication

from evalstudio.core.comparison import Layout
from evalstudio.core.model import Verdict
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.ui.main_window import MainWindow

ITEMS = 60  # of each layout
SUBMITS = 40
ANSWERS = 7
QUESTIONS = """
[[questions]]
key = "helpful"
type = "likert"
prompt = "How helpful is the best answer?"
scale = 7
layouts = ["single", "rank"]

[[questions]]
key = "deciding"
type = "choice"
prompt = "What decided it?"
options = ["correctness", "completeness", "clarity"]
layouts = ["single", "rank"]

[[questions]]
key = "problems"
type = "multi"
prompt = "Which apply?"
options = ["hallucinates", "ignores the instruction", "unsafe"]
layouts = ["single", "rank"]

[[questions]]
key = "note"
type = "text"
prompt = "Anything else?"
layouts = ["single", "rank"]
"""
ANSWERED = (
    RubricAnswer("helpful", 5),
    RubricAnswer("deciding", "correctness"),
    RubricAnswer("problems", ("hallucinates",)),
    RubricAnswer("note", "fine"),
)


def make_study(workspace: Workspace, folder: Path, layout: Layout) -> str:
    """A study of ITEMS rank items of ANSWERS text answers, or of ITEMS single text items."""
    folder.mkdir()
    with (folder / "tasks.jsonl").open("w", encoding="utf-8") as f:
        for n in range(ITEMS):
            record: dict[str, object] = {"id": f"r{n}", "prompt": f"Question {n}?", "kind": "text"}
            if layout is Layout.RANK:
                record["candidates"] = [
                    {"id": f"r{n}-{a}", "text": f"Answer {a} to question {n}: " + "words " * 40}
                    for a in range(ANSWERS)
                ]
            else:
                record["candidate"] = "An answer. " * 20
            f.write(json.dumps(record) + "\n")
    name = f"Bench {layout.value}"
    (folder / "study.toml").write_text(
        f'name = "{name}"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = ["Ada"]\n'
        f'conditions = ["unassisted"]\n{QUESTIONS}',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return name


def until(app: QApplication, condition: Callable[[], bool], seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()


def submits(
    app: QApplication, window: MainWindow, workspace: Workspace, study: str, layout: Layout
) -> list[float]:
    """Submit-and-next times through a study's first SUBMITS items, each filled in first."""
    ada = next(e for e in evaluators.list_evaluators(workspace) if e.name == "Ada")
    window.start_review(studies.study_named(workspace, study), ada)
    until(app, lambda: window.review is not None and window.review.session.study.name == study)
    review = window.review
    assert review is not None
    until(app, lambda: review.loaded)
    times: list[float] = []
    for _ in range(SUBMITS):
        if layout is Layout.RANK:
            for index in range(len(review.entry.item.sides)):
                review.form.rank.pick(index)  # A first, then B...
        else:
            review.form.set_verdict(Verdict.ACCEPTABLE)
            review.form.set_quality(5)
        review.form.set_confidence(4)
        review.form.rubric.set_answers(ANSWERED)
        index = review.index
        started = time.perf_counter()
        review.submit()
        if review.form.problem.text():
            raise RuntimeError(review.form.problem.text())
        until(app, lambda i=index: review.index != i and review.loaded)
        times.append((time.perf_counter() - started) * 1000)
    until(app, lambda: window.jobs.idle)
    return times


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as tmp:
        workspace = open_workspace(Path(tmp) / "ws.sqlite")
        ranked = make_study(workspace, Path(tmp) / "rank", Layout.RANK)
        alone = make_study(workspace, Path(tmp) / "single", Layout.SINGLE)
        window = MainWindow(workspace)
        window.resize(1280, 720)
        window.show()
        single = submits(app, window, workspace, alone, Layout.SINGLE)
        rank = submits(app, window, workspace, ranked, Layout.RANK)
        stored = workspace.db.execute("SELECT count(*) FROM judgment_orders").fetchone()[0]
        assert stored == SUBMITS, stored
        window.close()
        workspace.close()
    r, s = statistics.median(rank), statistics.median(single)
    body = f"""## Submit and next on rank items (`bench/bench_rank_submit.py`)

The review window offscreen at 1280×720; a study of {ITEMS} rank items of {ANSWERS} text
answers and one of {ITEMS} single text items, each asking 4 rubric questions (likert, choice,
multi, text), all answered on every submit. Time from Submit until the next item's stored
state has been read and the form is live again (as bench_review.py's), median of {SUBMITS}.
Load average at the end: {os.getloadavg()[0]:.2f} (1 min), on 2 cores.

| item | target | submit and next (median) | p90 | × single |
|---|---|---|---|---|
| rank, {ANSWERS} answers, 4 questions | < 30 ms | **{r:.1f} ms** | {_p90(rank):.1f} ms | \
{r / s:.2f} |
| single, 4 questions | < 30 ms | {s:.1f} ms | {_p90(single):.1f} ms | 1.00 |
"""
    write_section("bench_rank_submit", body)
    print(body)


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


if __name__ == "__main__":
    main()
