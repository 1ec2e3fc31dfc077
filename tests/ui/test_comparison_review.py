"""Compare and rank items in the review window, by keyboard, through the real ReviewSession:
what the keys said is the stored ordering; a draft and an undo bring the order back; a drag
reorders; the single answer's verdict, quality and flaws are not offered (the assistant is:
tests/ui/test_comparison_assistance.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from support.comparison_study import comparison_study, fluency_question
from support.held_backend import HeldBackend
from support.windows import open_main_window, press, start_review

from evalstudio.core.comparison import MUCH_BETTER, Layout, Ordering
from evalstudio.core.model import Evaluator
from evalstudio.core.review import Judgment
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView

# The study's question on compare and rank items, asked with the order.
QUESTION = fluency_question(required=True)


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, HeldBackend()) as win:
        qtbot.waitUntil(lambda: win.host.ready)
        yield win


@pytest.fixture
def review(qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path) -> ReviewView:
    study = comparison_study(workspace, tmp_path, options=QUESTION)
    ada: Evaluator = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    return start_review(qtbot, window, study, ada)


def _open(qtbot: QtBot, review: ReviewView, layout: Layout) -> int:
    """Open the first item of `layout`; the keyboard is on its home widget."""
    index = next(i for i, e in enumerate(review.session.queue) if e.item.layout is layout)
    review.open_index(index)
    qtbot.waitUntil(lambda: review.loaded and review.index == index)
    assert _focus() is review.home_widget()
    return index


def _focus() -> QWidget | None:
    return QApplication.focusWidget()


def _answer_question(qtbot: QtBot, review: ReviewView, key: Qt.Key) -> None:
    """The study's question by keyboard: Q to it, a digit, Esc back home."""
    press(qtbot, Qt.Key.Key_Q)
    press(qtbot, key)
    press(qtbot, Qt.Key.Key_Escape)
    assert _focus() is review.home_widget()


def _submit(qtbot: QtBot, review: ReviewView) -> None:
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def _stored(review: ReviewView, item_id: str) -> Judgment | None:
    """The item's current final judgment in the workspace, once the DATA lane has written."""
    session = review.session
    return (
        ReviewSession(session.workspace, session.study, session.evaluator).state(item_id).item.final
    )


def _final(qtbot: QtBot, review: ReviewView, item_id: str) -> Judgment:
    qtbot.waitUntil(lambda: item_id in review.done and review.loaded and review.jobs.idle)
    judged = _stored(review, item_id)
    assert judged is not None
    return judged


def test_a_compare_item_is_judged_by_keys_and_stored_as_their_ordering(
    qtbot: QtBot, review: ReviewView
) -> None:
    index = _open(qtbot, review, Layout.COMPARE)
    item = review.entry.item
    a, b = (side.candidate_id for side in item.sides)
    # Both answers on screen, named by letter; the single answer's form and helpers are not.
    assert review.sides.panes[0].isVisible() and review.sides.panes[1].isVisible()
    assert [t.text() for t in review.sides.titles[:2]] == ["Answer A", "Answer B"]
    assert not review.candidate.isVisible()
    for hidden in (review.form.verdict_flawed, review.form.flaw_table, review.run_box_box):
        assert not hidden.isVisible()
    # The assistant opens at once where the condition has one: no first verdict to commit.
    assert review.assistant_box.isVisible() is review.entry.condition.assisted
    press(qtbot, Qt.Key.Key_5)  # B much better
    press(qtbot, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    _submit(qtbot, review)  # the study's required question is not answered yet
    assert "How well written" in review.form.problem.text()
    _answer_question(qtbot, review, Qt.Key.Key_3)  # the question takes the digit
    assert review.form.compare.group.checkedId() == 5  # the 3 was the question's
    _submit(qtbot, review)
    judged = _final(qtbot, review, item.item_id)
    assert judged.form.ordering == Ordering(((b,), (a,)), MUCH_BETTER)
    assert judged.form.confidence == 4
    assert (judged.form.verdict, judged.form.quality, judged.form.flaws) == (None, None, ())
    assert judged.form.answers == (RubricAnswer("fluency", 3),)
    assert review.index != index  # on to the next item

    # Undo: back to the item, the point chosen again, and nothing stored any more.
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == index and review.loaded)
    assert review.form.compare.group.checkedId() == 5
    qtbot.waitUntil(lambda: review.jobs.idle)
    assert _stored(review, item.item_id) is None
    press(qtbot, Qt.Key.Key_2)  # A better, this time
    _submit(qtbot, review)
    assert _final(qtbot, review, item.item_id).form.ordering == Ordering(((a,), (b,)), 1)


def test_a_rank_item_is_ranked_by_letters_and_digits_kept_as_a_draft_and_undone(
    qtbot: QtBot, review: ReviewView
) -> None:
    index = _open(qtbot, review, Layout.RANK)
    item = review.entry.item
    ids = [side.candidate_id for side in item.sides]
    assert len(ids) == 4 and _focus() is review.form.rank.list
    assert not review.form.verdict_flawed.isVisible()
    # Letters in the order list are its own: A here picks answer A, not "acceptable".
    press(qtbot, Qt.Key.Key_C)
    press(qtbot, Qt.Key.Key_A)
    press(qtbot, Qt.Key.Key_4)  # a digit anywhere: answer D
    assert review.form.rank.order == [2, 0, 3]
    assert review.sides.tabs.tabText(2) == "C · 1st"
    assert review.sides.shown() == 0  # a pick leaves the answer being read on screen
    press(qtbot, Qt.Key.Key_Left)  # ← shows the previous answer, round the end
    assert review.sides.shown() == 3
    press(qtbot, Qt.Key.Key_BracketRight)  # ] the next, from anywhere
    assert review.sides.shown() == 0
    press(qtbot, Qt.Key.Key_Up)  # choosing an entry of the order shows its answer (A)
    press(qtbot, Qt.Key.Key_Up)
    assert review.sides.shown() == 2 and not review.sides.panes[0].isVisible()
    # An incomplete ranking is not submitted, and says why.
    _submit(qtbot, review)
    assert "answers" in review.form.problem.text()
    qtbot.waitUntil(lambda: item.item_id in review.drafted)

    # Away and back: the draft has the order so far.
    last = index == len(review.session.queue) - 1
    press(qtbot, Qt.Key.Key_K if last else Qt.Key.Key_J)  # the item before or after
    qtbot.waitUntil(lambda: review.index != index and review.loaded)
    review.open_index(index)
    qtbot.waitUntil(lambda: review.index == index and review.loaded)
    assert review.form.rank.order == [2, 0, 3]
    assert _focus() is review.form.rank.list

    # In the rationale, letters, digits and Backspace are typing, not ranking.
    press(qtbot, Qt.Key.Key_N)
    assert _focus() is review.form.rationale
    qtbot.keyClicks(review.form.rationale, "B4x")
    press(qtbot, Qt.Key.Key_Backspace)
    assert review.form.rationale.toPlainText() == "B4"
    assert review.form.rank.order == [2, 0, 3]
    press(qtbot, Qt.Key.Key_Escape)
    assert _focus() is review.form.rank.list
    press(qtbot, Qt.Key.Key_Backspace)  # D back
    press(qtbot, Qt.Key.Key_B)
    press(qtbot, Qt.Key.Key_D)
    press(qtbot, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)  # D above B
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    _answer_question(qtbot, review, Qt.Key.Key_5)
    assert review.form.rank.order == [2, 0, 3, 1]  # the 5 was the question's
    _submit(qtbot, review)
    judged = _final(qtbot, review, item.item_id)
    expected = Ordering(tuple((ids[i],) for i in (2, 0, 3, 1)))
    assert judged.form.ordering == expected
    assert judged.form.confidence == 2 and judged.form.rationale == "B4"
    assert judged.form.answers == (RubricAnswer("fluency", 5),)

    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == index and review.loaded)
    assert review.form.rank.order == [2, 0, 3, 1]
    qtbot.waitUntil(lambda: review.jobs.idle)
    assert _stored(review, item.item_id) is None


def test_a_drag_in_the_ranking_is_what_is_stored(qtbot: QtBot, review: ReviewView) -> None:
    _open(qtbot, review, Layout.RANK)
    item = review.entry.item
    ids = [side.candidate_id for side in item.sides]
    for key in (Qt.Key.Key_A, Qt.Key.Key_B, Qt.Key.Key_C, Qt.Key.Key_D):
        press(qtbot, key)
    # A drop is a move of the list model's row (QListWidget's InternalMove does the same).
    assert review.form.rank.list.model().moveRow(QModelIndex(), 2, QModelIndex(), 0)
    press(qtbot, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    _answer_question(qtbot, review, Qt.Key.Key_1)
    _submit(qtbot, review)
    judged = _final(qtbot, review, item.item_id)
    assert judged.form.ordering == Ordering(tuple((ids[i],) for i in (2, 0, 1, 3)))
