"""The two pictures at the top of README.md: the review view with a critique shown, and the
study report. Their content is fixed — a written critique instead of the model's (which
changes with every run and model), judgments drawn with a fixed seed — so regenerating them
changes pixels only where the app's look changed.

    python tools/screenshots.py --readme    # writes docs/images/review.png and report.png

Each PNG is reduced to a 256-colour palette (Pillow, which matplotlib already installs) to
stay small enough for the repository (about 100 KB each instead of 300+).
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from evalstudio.assist.backend import GenerationParams, Message, ModelInfo, Stream
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.model import Evaluator, Severity, Verdict
from evalstudio.core.review import Condition, JudgmentForm, ReportedFlaw, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace import evaluators, owner
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.services.workspace.resources import demo_dir
from evalstudio.store import content
from evalstudio.ui.main_window import MainWindow

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"
SIZE = (1280, 800)
STUDY = "Code review pilot"
PEOPLE = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Barbara Liskov",
    "Edsger Dijkstra",
    "Frances Allen",
    "Donald Knuth",
    "Radia Perlman",
]
# The critique shown, of the demo's flawed binary search (resources/demo/tasks.jsonl).
SHOWN_CANDIDATE = "while lo < hi:"
CRITIQUE = {
    "points": [
        {
            "quote": "while lo < hi:",
            "line_start": 4,
            "line_end": 4,
            "severity": "major",
            "claim": "The loop ends when lo == hi without looking at items[lo], so the last "
            "candidate is never checked: binary_search([7], 7) returns -1. Use "
            "`while lo <= hi`.",
        },
        {
            "quote": "hi = mid - 1",
            "line_start": 11,
            "line_end": 11,
            "severity": "minor",
            "claim": "`hi = mid - 1` assumes an inclusive upper bound: right with "
            "`hi = len(items) - 1`, and with `lo <= hi` once the loop is fixed.",
        },
    ],
    "verdict": "flawed",
}


class FixedCritique:
    """A Backend that answers every request with CRITIQUE, in chunks as a model streams."""

    def info(self) -> ModelInfo:
        return ModelInfo("fixed", "fixed critique", None, 4096)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        stream = Stream(params.seed)
        text = json.dumps(CRITIQUE)

        def produce() -> None:  # at about the bundled model's pace, so the time shown is real
            for at in range(0, len(text), 4):
                stream.push(text[at : at + 4])
                time.sleep(0.01)
            stream.prompt_tokens, stream.completion_tokens = 600, len(text) // 4
            stream.finish(Outcome.DONE)

        threading.Thread(target=produce, daemon=True).start()
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return {option: math.log(1 / len(options)) for option in options}

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass


def make(app: QApplication, out: Path = OUT) -> list[Path]:
    settings = QSettings("EvalStudio", "EvalStudio")
    settings.clear()
    settings.setValue("look/appearance", "light")
    folder = Path(tempfile.mkdtemp(prefix="evalstudio-readme-"))
    workspace = open_workspace(folder / "workspace.sqlite")
    reviewer, item = _study(workspace, folder)
    window = MainWindow(workspace, backend=FixedCritique())
    window.resize(*SIZE)
    window.show()

    def until(condition: Callable[[], bool], seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("the app did not reach the state to picture in time")
            app.processEvents()
            time.sleep(0.01)
        for _ in range(20):  # let the last repaint land
            app.processEvents()

    until(lambda: window.host.ready)
    window.start_review(studies.study_named(workspace, STUDY), reviewer)
    until(lambda: window.review is not None and window.review.loaded)
    review = window.review
    assert review is not None
    review.open_index(review.session.index_of(item))
    until(lambda: review.loaded)
    review.ask(AssistKind.CRITIQUE)
    until(lambda: review.panel.streaming() is None and review.panel.points.count() > 0)
    review.panel.points.setCurrentRow(0)
    review.panel.add_flaw_button.click()  # the first point, taken as a flaw
    review.form.set_verdict(Verdict.FLAWED)
    review.form.set_quality(3)
    review.form.set_confidence(4)
    review.form.rationale.setPlainText("Checked [7] and 7 by hand: the loop exits before it.")
    written = [_save(window, out / "review.png")]

    window.close_review()
    window.owner_tools.open_report(STUDY)
    until(lambda: window.owner_tools.report_view is not None)
    report = window.owner_tools.report_view
    assert report is not None
    report.resize(*SIZE)
    until(lambda: True)
    written.append(_save(report, out / "report.png"))
    report.close()
    window.close()
    workspace.close()
    return written


def _study(workspace: Workspace, folder: Path) -> tuple[Evaluator, str]:
    """The demo tasks as a two-condition study of eight people; seven have judged their
    queue (with made-up detection rates: 30% alone, 60% assisted); the one left is the
    reviewer of the picture, whose queue has the flawed binary search under the assistant."""
    demo = demo_dir()
    (folder / "study.toml").write_text(
        f'name = "{STUDY}"\ntasks = "{demo / "tasks.jsonl"}"\n'
        f'guidelines = "{demo / "guidelines.md"}"\nseed = 7\n'
        f"evaluators = {json.dumps(PEOPLE)}\n",
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    owner.set_passphrase(workspace, "readme pictures")  # no "anyone can open this" notice
    study = studies.study_named(workspace, STUDY)
    planted = {c.id: c.flaw for c in content.candidates_of_study(workspace.db, study.id)}
    # Where each item's planted flaw is (None: a correct twin), for the flaws people "find".
    flaw_at = {
        item: planted[candidate]
        for candidate, item in content.item_ids_by_candidate(workspace.db, study.id).items()
    }
    rng = random.Random(7)
    reviewer: tuple[Evaluator, str] | None = None
    for person in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, person)
        shown = next((e for e in session.queue if SHOWN_CANDIDATE in e.item.candidate), None)
        if reviewer is None and shown is not None and shown.condition is Condition.ASSISTED:
            reviewer = (person, shown.item.item_id)
            continue
        for entry in session.queue:
            chance = 0.6 if entry.condition.assisted else 0.3
            flaw = flaw_at[entry.item.item_id]
            says = rng.random() < (chance if flaw is not None else 0.1)
            found = (
                (ReportedFlaw(Severity.MAJOR, "found", lines=flaw.lines, span=flaw.span),)
                if says and flaw is not None
                else ()
            )
            verdict = Verdict.FLAWED if says else Verdict.ACCEPTABLE
            form = JudgmentForm(verdict, rng.randint(2, 6), rng.randint(2, 5), found)
            session.submit(entry.item.item_id, Stage.FINAL, form)
    if reviewer is None:
        raise SystemExit("no one reviews the flawed binary search with the assistant")
    return reviewer


def _save(widget: QWidget, path: Path) -> Path:
    """The widget's pixels as a 256-colour PNG (about a third of the full-colour size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    full = path.with_suffix(".full.png")
    widget.grab().save(str(full))
    with Image.open(full) as image:
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    full.unlink()
    return path
