"""The Run box of the review window (issue 19 §2), driven like an evaluator drives it
(offscreen, real sandbox, real SQLite): examples on opening, a run typed and its result, Esc
giving the keyboard back, text items and unassisted items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.binary_search import FLAWED_SEARCH, PROMPT
from support.builders import record, write_jsonl
from support.windows import open_main_window, start_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind
from evalstudio.core.model import Evaluator, Study
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, local_backend) as win:
        yield win


def _study(workspace: Workspace, tmp_path: Path) -> tuple[Study, Evaluator]:
    records = [
        record("bug", prompt=PROMPT, candidate=FLAWED_SEARCH),
        record("t", kind="text", language="en", prompt="When?", candidate="In 1969."),
    ]
    study = import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Runs").study
    return study, evaluators.add_evaluator(workspace, "Ada")


def _start(qtbot: QtBot, win: MainWindow, study: Study, evaluator: Evaluator) -> ReviewView:
    return start_review(qtbot, win, study, evaluator)


def test_examples_run_on_opening_and_a_typed_call_shows_its_result_and_is_logged(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    study, ada = _study(workspace, tmp_path)
    review = _start(qtbot, window, study, ada)
    box = review.run_box
    assert review.run_box_box.isVisible()
    qtbot.waitUntil(lambda: "Examples from the task" in box.view.toPlainText(), timeout=10_000)
    qtbot.waitUntil(lambda: "3 of 5 passed" in box.view.toPlainText(), timeout=10_000)
    text = box.view.toPlainText()
    assert "✗ failed" in text and "✓ passed" in text

    window.activateWindow()
    review.candidate.setFocus()
    qtbot.keyClick(review.candidate, Qt.Key.Key_G)
    assert QApplication.focusWidget() is box.input
    qtbot.keyClicks(box.input, "binary_search(None, 1)")
    qtbot.keyClick(box.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "raised TypeError" in box.view.toPlainText(), timeout=10_000)
    assert "(line 2)" in box.view.toPlainText()
    qtbot.keyClicks(box.input, "binary_search([1, 3, 5], 5)")
    qtbot.keyClick(box.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: box.status.text().startswith("Run · done in"), timeout=10_000)
    # Esc leaves the input back to the review view (it does not stay trapped there).
    box.input.setFocus()
    qtbot.keyClick(box.input, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is not box.input

    qtbot.waitUntil(lambda: window.jobs.idle, timeout=10_000)
    events = assist_log.events_of_item(workspace.db, review.entry.item.item_id, ada.id)
    assert [e.kind for e in events] == [AssistKind.EXAMPLES, AssistKind.RUN, AssistKind.RUN]
    # Reopened, the item shows its runs and does not run the examples again.
    review.step(1)
    qtbot.waitUntil(lambda: review.loaded and review.index == 1)
    assert not review.run_box_box.isVisible()  # a text item: none of this
    review.step(-1)
    qtbot.waitUntil(lambda: review.loaded and review.index == 0)
    qtbot.waitUntil(lambda: "binary_search(None, 1)" in box.view.toPlainText())
    qtbot.waitUntil(lambda: window.jobs.idle, timeout=10_000)
    again = assist_log.events_of_item(workspace.db, review.entry.item.item_id, ada.id)
    assert len(again) == 3


def test_a_bad_input_says_why_without_a_traceback(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    study, ada = _study(workspace, tmp_path)
    review = _start(qtbot, window, study, ada)
    box = review.run_box
    box.input.setText("binary_search([1], ")
    box.run_input()
    qtbot.waitUntil(lambda: "not valid Python" in box.view.toPlainText(), timeout=10_000)
    assert "Traceback" not in box.view.toPlainText()
