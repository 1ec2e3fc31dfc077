"""The assistant on compare and rank items, driven by keyboard through the real ReviewSession and
the bundled model's replies: Compare (M) asks about both answers in the order shown and shows
its verdict; a critique is of the answer the evaluator is on, its points placed on that pane;
the misleading assistant argues for the flawed twin; chat on a rank item is about all answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.builders import FLAWED_CODE
from support.comparison_study import comparison_study
from support.windows import open_main_window, press, start_review

from evalstudio.assist.backend import Backend
from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome
from evalstudio.core.comparison import MUCH_BETTER, SIDE_LETTERS, Layout
from evalstudio.core.review import PointMark
from evalstudio.services.assistance.assistant import advice_of, critique_of
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView

ASSISTED = 'conditions = ["assisted"]\n'
MISLEADING = 'conditions = ["misleading"]\nmisleading_p = 1.0\n'


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, local_backend: Backend) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, local_backend) as win:
        qtbot.waitUntil(lambda: win.host.ready, timeout=60_000)
        yield win


def _review(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, options: str
) -> ReviewView:
    study = comparison_study(workspace, tmp_path, options=options)
    ada = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    return start_review(qtbot, window, study, ada)


def _open(qtbot: QtBot, review: ReviewView, layout: Layout) -> None:
    index = next(i for i, e in enumerate(review.session.queue) if e.item.layout is layout)
    review.open_index(index)
    qtbot.waitUntil(lambda: review.loaded and review.index == index)
    assert review.assistant_box.isVisible()  # no first verdict to commit on a comparison


def _answered(qtbot: QtBot, review: ReviewView, key: Qt.Key) -> AssistEvent:
    """Press `key` and wait for the response it asked for to finish."""
    before = review.panel.last_event()
    press(qtbot, key)
    assert review.panel.streaming() is not None  # it asked
    return _finished(qtbot, review, before)


def _finished(qtbot: QtBot, review: ReviewView, before: AssistEvent | None) -> AssistEvent:
    panel = review.panel
    qtbot.waitUntil(
        lambda: panel.streaming() is None and panel.last_event() is not before, timeout=300_000
    )
    event = panel.last_event()
    assert event is not None and event.outcome is Outcome.DONE
    return event


def _row(workspace: Workspace, event: AssistEvent) -> dict[str, Any]:
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None
    return row


def _verdict(text: str) -> str:
    """How the panel words a Comparison's verdict."""
    advice = advice_of(text, ("A", "B"))
    if advice.better is None:
        return "About the same"
    much = " much" if advice.strength == MUCH_BETTER else ""
    return f"Answer {advice.better} is{much} better"


def test_compare_is_about_both_answers_in_order_and_a_critique_about_the_one_the_keyboard_is_on(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    review = _review(qtbot, window, workspace, tmp_path, ASSISTED)
    _open(qtbot, review, Layout.COMPARE)
    item = review.entry.item
    a, b = (side.candidate_id for side in item.sides)
    panel = review.panel
    assert panel.buttons[AssistKind.COMPARE].isVisible()
    assert not panel.add_flaw_button.isVisible()  # a comparison's judgment has no flaws
    assert "of answer A" in panel.side_note.text()  # the keyboard starts on A

    compared = _answered(qtbot, review, Qt.Key.Key_M)
    assert compared.kind is AssistKind.COMPARE and compared.shown == (a, b)
    assert _row(workspace, compared)["params"]["shown"] == [a, b]
    transcript = panel.response_view.toPlainText()
    assert "Comparison" in transcript
    # Read, not shown as JSON — unless the tiny model broke the JSON (a raw newline in a
    # string cut short by max_tokens), when the panel shows what it wrote.
    if advice_of(compared.response, ("A", "B")).structured:
        assert _verdict(compared.response) in transcript
        assert '"better"' not in transcript

    # ] moves the keyboard to answer B: what a critique is then of.
    press(qtbot, Qt.Key.Key_BracketRight)
    assert QApplication.focusWidget() is review.sides.views[1].current_browser()
    assert review.answer_on.index == 1 and "of answer B" in panel.side_note.text()
    critique = _answered(qtbot, review, Qt.Key.Key_C)
    assert critique.kind is AssistKind.CRITIQUE and critique.side == b
    assert _row(workspace, critique)["params"]["side"] == b
    assert "Critique · answer B" in panel.response_view.toPlainText()
    assert panel.points_side == b
    assert f"of answer B ({panel.points.count()})" in panel.points_toggle.text()

    # Regenerate (R) asks the same about both answers again, in the same order.
    review.regenerate()
    live = panel.streaming()
    assert live is not None and live.side == b
    again = _finished(qtbot, review, critique)
    assert again.side == b and _row(workspace, again)["regenerates_id"] == critique.id

    # A click on answer A: the keyboard, and the next critique, are A's.
    qtbot.mouseClick(review.sides.views[0].current_browser().viewport(), Qt.MouseButton.LeftButton)
    assert review.answer_on.index == 0 and "of answer A" in panel.side_note.text()


def test_the_misleading_comparison_argues_for_the_flawed_twin_and_its_critique_flags_the_correct(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    review = _review(qtbot, window, workspace, tmp_path, MISLEADING)
    _open(qtbot, review, Layout.COMPARE)
    item = review.entry.item
    flawed = next(i for i, side in enumerate(item.sides) if side.text == FLAWED_CODE)
    correct = 1 - flawed

    compared = _answered(qtbot, review, Qt.Key.Key_M)
    assert compared.manipulated
    assert advice_of(compared.response, ("A", "B")).better == SIDE_LETTERS[flawed]
    assert _verdict(compared.response).startswith(f"Answer {SIDE_LETTERS[flawed]} is")
    assert _verdict(compared.response) in review.panel.response_view.toPlainText()

    # The correct twin's critique is flagged: its first point lies on a line of that answer,
    # and choosing it marks the line on that answer's pane, not the other's.
    if correct != review.answer_on.index:
        press(qtbot, Qt.Key.Key_BracketRight)
    assert review.answer_on.index == correct
    critique = _answered(qtbot, review, Qt.Key.Key_C)
    assert critique.manipulated and critique.side == item.sides[correct].candidate_id
    assert critique_of(critique.response).points
    review.panel.points.setCurrentRow(0)
    placed = review.panel._points[0]
    assert placed.lines is not None
    assert review.sides.views[correct]._marked == placed.lines
    assert review.sides.views[flawed]._marked is None
    review.panel.mark_current(PointMark.VALID)
    qtbot.waitUntil(lambda: review.jobs.idle)
    session = review.session
    fresh = ReviewSession(session.workspace, session.study, session.evaluator)
    marks = fresh.state(item.item_id).item.point_marks
    assert marks == {(critique.id, 0): PointMark.VALID}
    assert "✓ valid" in review.panel.points.item(0).text()


def test_chat_on_a_rank_item_is_about_all_its_answers_in_the_order_shown(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    review = _review(qtbot, window, workspace, tmp_path, ASSISTED)
    _open(qtbot, review, Layout.RANK)
    panel = review.panel
    # Only chat: no button, no note about a side.
    assert not any(button.isVisible() for button in panel.buttons.values())
    assert panel.chat.isVisible() and not panel.side_note.isVisible()
    press(qtbot, Qt.Key.Key_M)  # Compare is a compare item's: nothing asked
    assert panel.streaming() is None
    press(qtbot, Qt.Key.Key_Slash)
    assert QApplication.focusWidget() is panel.chat
    qtbot.keyClicks(panel.chat, "Which answer names the right city?")
    qtbot.keyClick(panel.chat, Qt.Key.Key_Return)
    answer = _finished(qtbot, review, None)
    shown = [side.candidate_id for side in review.entry.item.sides]
    assert answer.kind is AssistKind.CHAT and list(answer.shown) == shown
    assert _row(workspace, answer)["params"]["shown"] == shown
    assert "Which answer names the right city?" in panel.response_view.toPlainText()
