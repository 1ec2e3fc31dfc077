"""Attack: a task or candidate under the 50,000-character guard that takes Python-Markdown or Qt
seconds (setext underlines, rules, a million lines of code) must not freeze the window while
its item opens: a 10 ms heartbeat keeps ticking, the pane fills (formatted or plain, with its
note), and a render for an item no longer shown is never applied."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QTextBrowser
from pytestqt.qtbot import QtBot
from support.builders import record, write_jsonl
from support.heartbeat import GAP, largest_gap

from evalstudio.render.pages import Pages
from evalstudio.render.theme import LIGHT
from evalstudio.services.assistance.backends import model_settings
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.activity import ActivityWatcher
from evalstudio.ui.app_settings import AppSettings
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.model_host import ModelHost
from evalstudio.ui.review.render_job import RenderJob
from evalstudio.ui.review.review_view import ReviewView

LINES = 1_000_000
SETEXT = "a\n-\n" * 12_000  # 48 KB: 11 s in Python-Markdown before
RULES = "---\n" * 12_000  # 48 KB: 5 s
CODE = "x\n" * (LINES - 1) + "end\n"  # 2 MB: 20 s in Qt before
NOTE = "Shown as plain text"


@pytest.fixture
def review(qtbot: QtBot, workspace: Workspace, jobs: Jobs, tmp_path: Path) -> Iterator[ReviewView]:
    records = [
        record("small", prompt="Small."),
        record("setext", prompt="Setext.", kind="text", language="en", candidate=SETEXT),
        record("rules", prompt=RULES),
        record("long", prompt="Long.", candidate=CODE),
    ]
    study = import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Heavy").study
    session = ReviewSession(workspace, study, evaluators.add_evaluator(workspace, "Ada"))
    host = ModelHost(jobs, workspace, model_settings(server="http://127.0.0.1:9/v1"), None)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    activity = ActivityWatcher(app)
    view = ReviewView(session, jobs, host, activity, AppSettings(), LIGHT)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.open_index(_index(view, "Small."))
    qtbot.waitUntil(lambda: view.loaded and jobs.idle)
    yield view
    qtbot.waitUntil(lambda: jobs.idle, timeout=60_000)
    activity.stop()


def _index(view: ReviewView, prompt_start: str) -> int:
    return next(
        i for i, e in enumerate(view.session.queue) if e.item.task_prompt.startswith(prompt_start)
    )


def _shows(browser: QTextBrowser, *parts: str) -> Callable[[], bool]:
    return lambda: all(part in browser.toPlainText() for part in parts)


def test_setext_underlines_in_a_candidate_keep_the_window_responsive(
    qtbot: QtBot, review: ReviewView
) -> None:
    text = review.candidate.text
    gap = largest_gap(
        qtbot,
        lambda: review.open_index(_index(review, "Setext.")),
        lambda: review.loaded and _shows(text, NOTE, "a\n-\na\n-")() and not _busy(review),
    )
    assert gap < GAP
    assert text.toPlainText().endswith(SETEXT)  # whole, as written


def test_rules_in_a_task_keep_the_window_responsive(qtbot: QtBot, review: ReviewView) -> None:
    task = review.task_view
    gap = largest_gap(
        qtbot,
        lambda: review.open_index(_index(review, "---")),
        lambda: review.loaded and _shows(task, NOTE, "---\n---")() and not _busy(review),
    )
    assert gap < GAP
    assert task.toPlainText().count("---") == 12_000


def test_a_million_lines_of_code_show_at_once_numbered_and_fill_in_without_a_freeze(
    qtbot: QtBot, review: ReviewView
) -> None:
    code = review.candidate.code
    gap = largest_gap(
        qtbot,
        lambda: review.open_index(_index(review, "Long.")),
        lambda: review.loaded and code.document().blockCount() > 1,
    )
    assert gap < GAP
    plain = code.toPlainText()
    assert plain.startswith(f"{1:>7} │ x\n{2:>7} │ x\n")
    doc = code.document()
    # All of it takes about a minute here, in steps: a tenth shows every step stays short.
    gap = largest_gap(qtbot, lambda: None, lambda: doc.blockCount() >= LINES // 10)
    assert gap < GAP
    assert doc.findBlockByNumber(12_344).text() == "  12345 │ x"  # block n is line n + 1
    assert review.candidate.busy


def test_a_render_for_an_item_no_longer_shown_is_dropped(qtbot: QtBot, review: ReviewView) -> None:
    """Away from a heavy item at once: the small item's content stays, whatever arrives."""
    code = review.candidate.code
    small, heavy = _index(review, "Small."), _index(review, "Long.")
    gap = largest_gap(
        qtbot,
        lambda: (review.open_index(heavy), review.open_index(small)),
        lambda: review.loaded and review.jobs.idle and not _busy(review),
    )
    assert gap < GAP
    qtbot.wait(100)  # any stale page would be taken in by now
    assert code.document().blockCount() < 10 and "def add" in code.toPlainText()
    assert review.task_view.toPlainText() == "Small."


def test_a_newer_render_replaces_one_still_being_taken_in(qtbot: QtBot, jobs: Jobs) -> None:
    browser = InertBrowser()
    qtbot.addWidget(browser)
    job = RenderJob(browser, jobs)
    many = Pages(["<p>first</p>"], [f"\nline {n}" for n in range(20_000)])
    job.start(lambda deadline: many)
    qtbot.waitUntil(lambda: "line 5" in browser.toPlainText())
    assert job.busy  # half taken in
    job.start(lambda deadline: Pages(["<p>second</p>"]))
    job.start(lambda deadline: Pages(["<p>third</p>"]), keep=True)
    qtbot.waitUntil(lambda: not job.busy and jobs.idle)
    qtbot.wait(50)
    assert browser.toPlainText() == "third"


def _busy(review: ReviewView) -> bool:
    return review.candidate.busy or review.task_render.busy
