"""A first pick before the assistance on compare and rank items, by keyboard, through the
real ReviewSession: in a study with commit_before_reveal an assisted comparison opens at the
first stage with the assistant closed; committing the pick opens it and the final judgment
starts from the pick. Ada's queue (seed 11): compare unassisted, compare assisted, rank
assisted (checked below)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.comparison_study import comparison_study, fluency_question
from support.held_backend import HeldBackend
from support.windows import open_main_window, press, start_review

from evalstudio.core.comparison import MUCH_BETTER, Layout, Ordering
from evalstudio.core.model import Evaluator
from evalstudio.core.review import Condition, ItemState, Stage
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView

# A required question on compare and rank items: asked with the final judgment only.
OPTIONS = "commit_before_reveal = true\n" + fluency_question(required=True)


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, HeldBackend()) as win:
        qtbot.waitUntil(lambda: win.host.ready)
        yield win


@pytest.fixture
def review(qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path) -> ReviewView:
    study = comparison_study(workspace, tmp_path, options=OPTIONS)
    ada: Evaluator = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    view = start_review(qtbot, window, study, ada)
    conditions = [(e.item.layout, e.condition) for e in view.session.queue]
    assert conditions == [
        (Layout.COMPARE, Condition.UNASSISTED),
        (Layout.COMPARE, Condition.ASSISTED),
        (Layout.RANK, Condition.ASSISTED),
    ]
    return view


def _commit(qtbot: QtBot) -> None:
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def _open(qtbot: QtBot, review: ReviewView, index: int) -> None:
    review.open_index(index)
    qtbot.waitUntil(lambda: review.loaded and review.index == index)
    assert QApplication.focusWidget() is review.home_widget()


def _stored(qtbot: QtBot, review: ReviewView, item_id: str) -> ItemState:
    qtbot.waitUntil(lambda: review.jobs.idle)
    session = review.session
    return ReviewSession(session.workspace, session.study, session.evaluator).state(item_id).item


def test_an_unassisted_comparison_has_no_first_pick(qtbot: QtBot, review: ReviewView) -> None:
    assert review.index == 0 and review.stage is Stage.FINAL
    assert "first" not in review.form.stage_label.text()


def test_a_first_pick_is_committed_by_keys_then_the_assistant_opens_on_it(
    qtbot: QtBot, window: MainWindow, review: ReviewView
) -> None:
    _open(qtbot, review, 1)
    item = review.entry.item
    a, b = (side.candidate_id for side in item.sides)
    assert review.stage is Stage.FIRST and not review.assistant_box.isVisible()
    assert "Your first pick</b> — commit it before the assistant opens" in (
        review.form.stage_label.text()
    )
    assert review.form.submit_button.text().startswith("Commit first pick")
    assert window.progress_label.text().endswith("· first pick")
    press(qtbot, Qt.Key.Key_M)  # the Compare assistant is not asked before the pick
    assert review.panel.streaming() is None and not review.assistant_box.isVisible()
    press(qtbot, Qt.Key.Key_Q)  # the question waits for the final judgment: the keys stay
    assert not review.form.rubric_box.isVisible()
    assert QApplication.focusWidget() is review.home_widget()
    press(qtbot, Qt.Key.Key_1)  # A much better
    _commit(qtbot)  # no confidence yet: said, nothing committed
    assert "confidence" in review.form.problem.text() and review.stage is Stage.FIRST
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    _commit(qtbot)
    assert review.stage is Stage.FINAL and review.assistant_box.isVisible()
    assert "first" not in review.form.stage_label.text()
    assert review.form.compare.group.checkedId() == 1  # the final starts from the pick
    assert QApplication.focusWidget() is review.home_widget()
    first = _stored(qtbot, review, item.item_id).first
    assert first is not None and first.form.ordering == Ordering(((a,), (b,)), MUCH_BETTER)

    press(qtbot, Qt.Key.Key_5)  # persuaded the other way: B much better
    _commit(qtbot)  # the final judgment asks the question
    assert "How well written" in review.form.problem.text() and review.index == 1
    press(qtbot, Qt.Key.Key_Q)
    press(qtbot, Qt.Key.Key_4)
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is review.home_widget()
    _commit(qtbot)
    qtbot.waitUntil(lambda: item.item_id in review.done and review.index != 1)
    state = _stored(qtbot, review, item.item_id)
    assert state.final is not None
    assert state.final.form.ordering == Ordering(((b,), (a,)), MUCH_BETTER)
    assert state.first is not None and state.first.form.ordering == Ordering(
        ((a,), (b,)), MUCH_BETTER
    )
    assert (state.first.form.answers, state.final.form.answers) == (
        (),
        (RubricAnswer("fluency", 4),),
    )

    # Reopened, the item is past its first stage: the assistant is open at once.
    _open(qtbot, review, 1)
    assert review.stage is Stage.FINAL and review.assistant_box.isVisible()


def test_a_first_order_is_committed_by_keys_then_the_ranking_goes_on_from_it(
    qtbot: QtBot, window: MainWindow, review: ReviewView
) -> None:
    _open(qtbot, review, 2)
    item = review.entry.item
    ids = [side.candidate_id for side in item.sides]
    assert review.stage is Stage.FIRST and not review.assistant_box.isVisible()
    assert "Your first order</b>" in review.form.stage_label.text()
    assert window.progress_label.text().endswith("· first order")
    press(qtbot, Qt.Key.Key_B)
    press(qtbot, Qt.Key.Key_A)
    press(qtbot, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    _commit(qtbot)  # two of four placed: refused, by name
    assert "each of the item's answers" in review.form.problem.text()
    assert review.stage is Stage.FIRST and not review.assistant_box.isVisible()
    press(qtbot, Qt.Key.Key_D)
    press(qtbot, Qt.Key.Key_C)
    _commit(qtbot)
    assert review.stage is Stage.FINAL and review.assistant_box.isVisible()
    assert review.form.rank.order == [1, 0, 3, 2]
    assert QApplication.focusWidget() is review.form.rank.list  # still ranking by keys
    press(qtbot, Qt.Key.Key_Backspace)  # C back
    press(qtbot, Qt.Key.Key_Backspace)  # D back
    press(qtbot, Qt.Key.Key_C)
    press(qtbot, Qt.Key.Key_D)
    press(qtbot, Qt.Key.Key_Q)
    press(qtbot, Qt.Key.Key_2)
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is review.form.rank.list
    _commit(qtbot)
    qtbot.waitUntil(lambda: item.item_id in review.done)
    state = _stored(qtbot, review, item.item_id)
    assert state.first is not None and state.final is not None
    assert state.first.form.ordering == Ordering(tuple((ids[i],) for i in (1, 0, 3, 2)))
    assert state.final.form.ordering == Ordering(tuple((ids[i],) for i in (1, 0, 2, 3)))
    assert state.first.form.confidence == state.final.form.confidence == 3
