"""The study's rubric questions in the review window, answered by keyboard only: Q / Shift+Q
reach each question, digits act on the focused one (not the quality shortcuts), Esc gives the
keyboard back to the candidate, a blank required question blocks Submit by name, the draft
keeps the answers, and the cheat sheet lists the keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.held_backend import HeldBackend
from support.rubric_study import rubric_study
from support.windows import open_main_window, press, start_review

from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.cheat_sheet import cheat_sheet_html
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.judgment_form import JudgmentFormView
from evalstudio.ui.review.review_view import ReviewView


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, HeldBackend()) as win:
        qtbot.waitUntil(lambda: win.host.ready)
        yield win


@pytest.fixture
def review(qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path) -> ReviewView:
    study = rubric_study(workspace, tmp_path)
    ada = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    opened = start_review(qtbot, window, study, ada)
    opened.candidate.code.setFocus()
    return opened


def _built_in(qtbot: QtBot) -> None:
    """Acceptable, quality 5, confidence 4: the built-in form, by its shortcuts."""
    press(qtbot, Qt.Key.Key_A)
    press(qtbot, Qt.Key.Key_5)
    press(qtbot, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)


def test_every_question_is_answered_by_keyboard_and_stored(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, review: ReviewView
) -> None:
    rubric = review.form.rubric
    assert rubric.isVisible() and len(rubric.fields) == 4
    _built_in(qtbot)
    press(qtbot, Qt.Key.Key_Q)
    assert QApplication.focusWidget() is rubric.fields[0]  # Q1: helpful, 1-5
    press(qtbot, Qt.Key.Key_3)
    press(qtbot, Qt.Key.Key_Right)  # 3 → 4
    assert review.form.quality.checkedId() == 5  # the digit was the question's, not quality's
    press(qtbot, Qt.Key.Key_Q)
    press(qtbot, Qt.Key.Key_2)  # Q2: tone, the second option
    press(qtbot, Qt.Key.Key_Q)
    for key in (Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_2, Qt.Key.Key_2):
        press(qtbot, key)  # Q3: toggles hallucinates, unsafe, instruction on and off again
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is review.candidate.code
    press(qtbot, Qt.Key.Key_Q, Qt.KeyboardModifier.ShiftModifier)  # round to the last: text
    assert QApplication.focusWidget() is rubric.fields[3]
    qtbot.keyClicks(QApplication.focusWidget(), "fine 7")
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is review.candidate.code
    assert review.form.quality.checkedId() == 5
    item = review.entry.item.item_id
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == 1 and review.loaded and window.jobs.idle)
    ada = review.session.evaluator
    stored = ReviewSession(workspace, review.session.study, ada).state(item).item.final
    assert stored is not None
    assert stored.form.answers == (
        RubricAnswer("helpful", 4),
        RubricAnswer("tone", "casual"),
        RubricAnswer("problems", ("hallucinates", "unsafe")),
        RubricAnswer("note", "fine 7"),
    )
    assert stored.form.quality == 5


def test_a_blank_required_question_blocks_submit_by_name_and_the_draft_keeps_answers(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, review: ReviewView
) -> None:
    _built_in(qtbot)
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "answer “How helpful is the answer?”" in review.form.problem.text()
    assert review.index == 0 and workspace.db["judgments"].count == 0
    press(qtbot, Qt.Key.Key_Q)
    press(qtbot, Qt.Key.Key_2)
    press(qtbot, Qt.Key.Key_Escape)
    press(qtbot, Qt.Key.Key_J)  # to the next item: the draft is saved on leaving
    qtbot.waitUntil(lambda: review.index == 1 and review.loaded)
    assert review.form.rubric.answers() == (RubricAnswer("problems", ()),)  # a fresh form
    press(qtbot, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: review.index == 0 and review.loaded)
    assert RubricAnswer("helpful", 2) in review.form.rubric.answers()


def test_the_cheat_sheet_lists_the_question_keys() -> None:
    sheet = cheat_sheet_html({})
    assert "Next rubric question" in sheet and "Previous rubric question" in sheet
    assert "On a rubric question" in sheet


def test_a_study_without_questions_shows_no_rubric(qtbot: QtBot) -> None:
    form = JudgmentFormView()
    qtbot.addWidget(form)
    form.set_questions(())
    form.show()
    assert not form.rubric_box.isVisible() and form.form().answers == ()
