"""The rubric questions at small screens: beside an open assistant the judgment form takes
the height its questions need (the assistant keeping its least), so at 1280×720 three of four
questions are whole on screen (was one) and at 1600×1000 all four (was three); each question
Tab or Shift+Tab reaches is scrolled into view, and Tab goes on past the last. A column the
evaluator has sized is theirs: it holds on the next item and in the next review."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from support.held_backend import HeldBackend
from support.rubric_study import rubric_study
from support.windows import open_main_window, start_review

from evalstudio.core.model import Study
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView

WHOLE = {(1280, 720): 3, (1600, 1000): 4}  # the questions whole on screen, of four


def _start(qtbot: QtBot, window: MainWindow, study: Study) -> ReviewView:
    ada = next(e for e in list_evaluators(window.context.workspace) if e.name == "Ada")
    review = start_review(qtbot, window, study, ada)
    qtbot.waitUntil(lambda: review.assistant_box.isVisible())
    qtbot.wait(20)  # the splitters take their sizes when the events are through
    return review


def _whole(review: ReviewView, field: QWidget) -> bool:
    """`field` lies wholly inside the rubric's scrolled viewport."""
    viewport = review.form.rubric_box.viewport()
    top = field.mapTo(viewport, field.rect().topLeft()).y()
    return top >= 0 and top + field.height() <= viewport.height()


@pytest.mark.parametrize("size", list(WHOLE), ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_questions_are_on_screen_beside_the_assistant(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path, size: tuple[int, int]
) -> None:
    study = rubric_study(workspace, tmp_path)
    with open_main_window(qtbot, workspace, HeldBackend(), size=size) as window:
        review = _start(qtbot, window, study)
        fields = review.form.rubric.fields
        shown = [n for n, field in enumerate(fields, 1) if _whole(review, field)]
        assert shown == list(range(1, WHOLE[size] + 1)), shown
        transcript = review.panel.response_view
        assert transcript.height() >= transcript.minimumHeight()  # the assistant keeps its own


def test_tab_reaches_every_question_in_view_and_goes_on(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    study = rubric_study(workspace, tmp_path)
    with open_main_window(qtbot, workspace, HeldBackend(), size=(1280, 720)) as window:
        review = _start(qtbot, window, study)
        fields = review.form.rubric.fields
        review.form.rationale.setFocus()
        for field in fields:
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            assert QApplication.focusWidget() is field
            assert _whole(review, field), field.accessibleName()
        qtbot.keyClick(fields[-1], Qt.Key.Key_Tab)
        assert QApplication.focusWidget() not in fields  # not trapped in the questions
        review.form.rubric_box.verticalScrollBar().setValue(0)  # the last out of view again
        assert not _whole(review, fields[-1])
        review.form.skip_button.setFocus()
        qtbot.keyClick(review.form.skip_button, Qt.Key.Key_Backtab)
        assert QApplication.focusWidget() is fields[-1] and _whole(review, fields[-1])


def test_a_right_column_the_evaluator_sized_is_theirs(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    study = rubric_study(workspace, tmp_path)
    with open_main_window(qtbot, workspace, HeldBackend(), size=(1280, 720)) as window:
        review = _start(qtbot, window, study)
        fitted = review.right.sizes()
        assert fitted[1] > fitted[0]  # the form took the height its questions need
        total = sum(fitted)
        review.right.setSizes([total - 380, 380])
        review.right.splitterMoved.emit(total - 380, 1)  # as the handle does when dragged
        dragged = review.right.sizes()
        review.step(1)
        qtbot.waitUntil(lambda: review.index == 1 and review.loaded)
        qtbot.wait(20)
        assert review.right.sizes() == dragged
        window.close_review()  # saves the layout, as leaving the review does
        review = _start(qtbot, window, study)
        assert review.right.sizes() == dragged
