"""The queue (issue 21 §6): each item's mark — judged, skipped, draft, not started, on screen —
as a glyph that needs no colour, kept as the evaluator works and read back when the queue
opens again; a tooltip with the full title and the state; the legend; the skip dialog, which
stays open on an empty reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget
from pytestqt.qtbot import QtBot
from support.builders import pair, record, write_jsonl
from support.held_backend import HeldBackend
from support.windows import open_main_window, start_review

from evalstudio.core.model import Evaluator, Study, Verdict
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.cheat_sheet import cheat_sheet_html
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.queue_list import CURRENT, LEGEND_TIP, Mark
from evalstudio.ui.review.review_view import ReviewView
from evalstudio.ui.review.skip_dialog import EMPTY_REASON, REASON_LINES, SkipDialog

LONG_TITLE = "Write a function that merges two sorted lists of intervals " + "and more " * 12
HOSTILE_TITLE = "Explain <b>bold</b> & <i>this</i>"


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, HeldBackend(), size=(1280, 720)) as win:
        qtbot.waitUntil(lambda: win.host.ready)
        yield win


@pytest.fixture
def ada(workspace: Workspace) -> Evaluator:
    return evaluators.add_evaluator(workspace, "Ada")


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    records = [
        *pair("p1"),
        record("t1", kind="text", language="en", prompt=LONG_TITLE, candidate="In 1889."),
        record("t2", kind="text", language="en", prompt=HOSTILE_TITLE, candidate="It is."),
    ]
    return import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Small").study


def _answer_skip(reason: str) -> None:
    def answer() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, SkipDialog) and widget.isVisible():
                widget.reason.setPlainText(reason)
                widget.accept()

    QTimer.singleShot(50, answer)


def _work(qtbot: QtBot, window: MainWindow, review: ReviewView) -> None:
    """Judge item 1, skip item 2, start a draft on item 3; item 4 stays untouched."""
    review.form.set_verdict(Verdict.ACCEPTABLE)
    review.form.set_quality(5)
    review.form.set_confidence(4)
    review.submit()
    qtbot.waitUntil(lambda: review.index == 1 and review.loaded)
    _answer_skip("cannot judge it")
    review.skip()
    qtbot.waitUntil(lambda: review.index == 2 and review.loaded)
    review.form.rationale.setPlainText("half a thought")
    qtbot.waitUntil(lambda: window.jobs.idle and not review._dirty)


def _marks(review: ReviewView) -> list[Mark]:
    return [review.queue.mark(row) for row in range(review.queue.count())]


def test_judged_skipped_draft_and_untouched_items_have_distinct_glyphs_read_back_on_reopening(
    qtbot: QtBot, window: MainWindow, study: Study, ada: Evaluator
) -> None:
    review = start_review(qtbot, window, study, ada)
    assert _marks(review) == [Mark.OPEN] * 4
    _work(qtbot, window, review)
    expected = [Mark.JUDGED, Mark.SKIPPED, Mark.DRAFT, Mark.OPEN]
    assert _marks(review) == expected
    assert len({mark.glyph for mark in Mark} | {CURRENT}) == len(Mark) + 1  # all distinct
    texts = [review.queue.item(row).text() for row in range(4)]
    for row, (text, mark) in enumerate(zip(texts, expected, strict=True)):
        here = CURRENT if row == review.index else " "
        assert text.startswith(f"{here}{mark.glyph} ")
    assert texts[2].startswith(f"{CURRENT}{Mark.DRAFT.glyph}")  # on screen: item 3

    window.show_start()  # the queue opened again reads the marks from the workspace
    review = start_review(qtbot, window, study, ada)
    assert _marks(review) == expected


def test_undo_and_a_judgment_over_a_skip_change_the_mark(
    qtbot: QtBot, window: MainWindow, study: Study, ada: Evaluator
) -> None:
    review = start_review(qtbot, window, study, ada)
    _work(qtbot, window, review)
    review.undo_submit()  # takes back the skip of item 2: open again, its form a draft
    qtbot.waitUntil(lambda: review.index == 1 and review.loaded)
    assert review.queue.mark(1) is Mark.DRAFT
    review.form.set_verdict(Verdict.ACCEPTABLE)
    review.form.set_quality(3)
    review.form.set_confidence(3)
    review.submit()
    qtbot.waitUntil(lambda: review.index == 2 and window.jobs.idle)
    assert review.queue.mark(1) is Mark.JUDGED


def test_each_row_has_a_tooltip_with_the_full_title_and_its_state_and_the_legend_explains(
    qtbot: QtBot, window: MainWindow, study: Study, ada: Evaluator
) -> None:
    review = start_review(qtbot, window, study, ada)
    _work(qtbot, window, review)
    tips = [review.queue.item(row).toolTip() for row in range(4)]
    assert LONG_TITLE.strip() in tips[2]  # cut in the row, whole in its tooltip
    assert "Draft" in tips[2] and "on screen" in tips[2]
    assert "Judged" in tips[0] and "Skipped" in tips[1] and "Not started" in tips[3]
    assert "&lt;b&gt;bold&lt;/b&gt;" in tips[3]  # a title's markup is shown as text
    (legend,) = [
        label for label in window.findChildren(QLabel) if label.accessibleName() == "Queue marks"
    ]
    assert legend.isVisible()
    for mark in Mark:
        assert mark.glyph in LEGEND_TIP and mark.words in LEGEND_TIP
    assert all(m.glyph in legend.text() for m in (Mark.JUDGED, Mark.SKIPPED, Mark.DRAFT))


def test_the_skip_dialog_stays_open_on_an_empty_reason_and_ctrl_enter_skips(
    qtbot: QtBot, parent: QWidget
) -> None:
    dialog = SkipDialog(parent)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.skip_button.click()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.problem.isVisible() and dialog.problem.text() == EMPTY_REASON
    qtbot.keyClicks(dialog.reason, "   ")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible() and dialog.problem.isVisible()  # blanks are no reason
    dialog.reason.clear()
    assert not dialog.problem.isVisible()  # typing takes the message away
    qtbot.keyClicks(dialog.reason, "cannot judge")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # a new line in the reason
    qtbot.keyClicks(dialog.reason, "this language")
    assert dialog.reason.height() >= REASON_LINES * dialog.reason.fontMetrics().lineSpacing()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert dialog.text() == "cannot judge\nthis language"


def test_the_cheat_sheet_says_how_to_leave_a_text_field_and_what_the_marks_mean() -> None:
    sheet = cheat_sheet_html({})
    assert "<b>Esc</b> leaves a text field" in sheet and "a second Esc stops" in sheet
    for mark in Mark:
        assert f"{mark.glyph} {mark.words}" in sheet
