"""Where the keyboard is in the review view (issue 21 §1): Esc leaves every text field for the
candidate, where a single key then acts; a second Esc stops a response; no action puts the
focus into a text field except those meant to (/ chat, N rationale, L a flaw's description,
G the Run input); Tab and Shift+Tab go round the whole view. Compare and rank items too."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot
from support.builders import pair, record, write_jsonl
from support.comparison_study import comparison_study
from support.held_backend import HeldBackend
from support.windows import open_main_window, press, start_review

from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.comparison import Layout
from evalstudio.core.model import Study
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.keyboard_focus import is_text_field
from evalstudio.ui.review.review_view import ReviewView
from evalstudio.ui.shortcuts import ACTIONS

CRITIQUE = json.dumps(
    {
        "points": [{"line_start": 2, "line_end": 2, "severity": "major", "claim": "subtracts"}],
        "verdict": "flawed",
    }
)
# The actions whose purpose is to put the cursor in a text field, and the field.
FOCUSING: dict[str, Callable[[ReviewView], QWidget]] = {
    "focus_chat": lambda r: r.panel.chat,
    "focus_rationale": lambda r: r.form.rationale,
    "focus_run": lambda r: r.run_box.input,
    "add_flaw": lambda r: r.form.flaw_table.viewport(),  # the description's editor, inside
}


def _study(workspace: Workspace, tmp_path: Path) -> Study:
    records = [
        *pair("p1"),
        record("t1", kind="text", language="en", prompt="When?", candidate="In 1889."),
    ]
    return import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Small").study


@pytest.fixture
def backend() -> HeldBackend:
    return HeldBackend()


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, backend: HeldBackend) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, backend) as win:
        qtbot.waitUntil(lambda: win.host.ready)
        yield win


@pytest.fixture
def review(qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path) -> ReviewView:
    ada = evaluators.add_evaluator(workspace, "Ada")
    opened = start_review(qtbot, window, _study(workspace, tmp_path), ada)
    assert QApplication.focusWidget() is opened.candidate.code
    return opened


def _focus() -> QWidget | None:
    return QApplication.focusWidget()


def _four_sets_quality(qtbot: QtBot, review: ReviewView) -> None:
    """The single key 4 acts (quality 4), and nothing typed it into a field."""
    press(qtbot, Qt.Key.Key_4)
    assert review.form.quality.checkedId() == 4


@pytest.mark.parametrize("action", sorted(FOCUSING))
def test_esc_in_each_text_field_gives_the_keyboard_back_and_a_single_key_then_acts(
    qtbot: QtBot, window: MainWindow, review: ReviewView, action: str
) -> None:
    window.review_actions[action].trigger()
    field = _focus()
    assert is_text_field(field)
    assert field is FOCUSING[action](review) or FOCUSING[action](review).isAncestorOf(field)
    qtbot.keyClicks(field, "ab")
    press(qtbot, Qt.Key.Key_Escape)
    assert _focus() is review.candidate.code
    _four_sets_quality(qtbot, review)
    assert "4" not in review.panel.chat.text() + review.form.rationale.toPlainText()
    assert "4" not in review.run_box.input.text()
    if action == "add_flaw":  # leaving the description keeps what was typed
        assert [f.description for f in review.form.form().flaws] == ["ab"]


def test_a_second_esc_stops_the_response_the_first_only_leaves_the_chat(
    qtbot: QtBot, window: MainWindow, review: ReviewView
) -> None:
    press(qtbot, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: (live := review.panel.streaming()) is not None and live.chunks >= 2)
    press(qtbot, Qt.Key.Key_Slash)
    assert _focus() is review.panel.chat
    press(qtbot, Qt.Key.Key_Escape)
    assert _focus() is review.candidate.code
    live = review.panel.streaming()
    assert live is not None
    words = live.chunks
    qtbot.waitUntil(lambda: live.chunks > words + 2)  # still streaming: the first Esc left it
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: review.panel.streaming() is None)
    assert live.event is not None and live.event.outcome is Outcome.CANCELLED


@pytest.mark.parametrize("backend", [HeldBackend(CRITIQUE)])
def test_regenerating_a_critique_whose_points_had_the_focus_does_not_put_it_in_the_chat(
    qtbot: QtBot, window: MainWindow, review: ReviewView
) -> None:
    """The evaluator's report: after R, 4 typed "4" into the chat box."""
    press(qtbot, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: review.panel.streaming() is None and review.panel.points.count() == 1)
    review.panel.points.setFocus()
    review.panel.points.setCurrentRow(0)
    press(qtbot, Qt.Key.Key_R)  # the new critique's first words have no points: the list goes
    qtbot.waitUntil(lambda: not review.panel.points_box.isVisible())
    assert not is_text_field(_focus())
    assert _focus() is review.candidate.code
    _four_sets_quality(qtbot, review)
    assert review.panel.chat.text() == ""
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: review.panel.streaming() is None)


def _close_dialogs_soon() -> None:
    """Close the modal dialog an action is about to open (skip, cheat sheet)."""

    def close() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()

    QTimer.singleShot(50, close)


@pytest.mark.parametrize("backend", [HeldBackend(CRITIQUE)])
def test_no_action_puts_the_focus_in_a_text_field_but_those_meant_to(
    qtbot: QtBot, window: MainWindow, review: ReviewView
) -> None:
    """Every action of shortcuts.py, from the candidate: each ends with the keyboard where
    single keys act, except the four that open a field for typing (and Esc leaves those)."""
    review.panel.points.setFocus()  # a critique's point chosen, so V and I act
    window.review_actions["critique"].trigger()
    qtbot.waitUntil(lambda: review.panel.streaming() is None and review.panel.points.count() == 1)
    review.panel.points.setCurrentRow(0)
    for action in ACTIONS:
        review.focus_home()
        if action.id in ("skip", "cheat_sheet"):
            _close_dialogs_soon()
        window.review_actions[action.id].trigger()
        qtbot.waitUntil(lambda: review.loaded)
        if action.id in ("skip", "cheat_sheet"):
            # Offscreen, a closed dialog does not hand the window its activation back.
            window.activateWindow()
            qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        focus = _focus()
        if action.id in FOCUSING:
            meant = FOCUSING[action.id](review)
            assert focus is meant or meant.isAncestorOf(focus), action.id
            press(qtbot, Qt.Key.Key_Escape)
            assert _focus() is review.candidate.current_browser(), action.id
        else:
            assert not is_text_field(focus), (action.id, focus)
    review.stop()
    qtbot.waitUntil(lambda: review.panel.streaming() is None)


def test_the_next_item_after_a_submit_from_the_rationale_opens_with_the_keyboard_free(
    qtbot: QtBot, window: MainWindow, review: ReviewView
) -> None:
    press(qtbot, Qt.Key.Key_A)
    press(qtbot, Qt.Key.Key_5)
    press(qtbot, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    press(qtbot, Qt.Key.Key_N)
    assert _focus() is review.form.rationale
    qtbot.keyClicks(review.form.rationale, "adds correctly")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == 1 and review.loaded)
    assert _focus() is review.candidate.current_browser()
    _four_sets_quality(qtbot, review)
    assert review.form.rationale.toPlainText() == ""


def _cycle(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier, presses: int) -> list[QWidget]:
    seen = []
    for _ in range(presses):
        press(qtbot, key, modifier)
        focus = _focus()
        assert focus is not None
        seen.append(focus)
    return seen


@pytest.mark.parametrize(
    ("key", "modifier"),
    [
        (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier),
    ],
)
def test_tab_and_shift_tab_go_round_the_whole_view_and_are_never_held(
    qtbot: QtBot, window: MainWindow, review: ReviewView, key: Qt.Key, modifier: Qt.KeyboardModifier
) -> None:
    window.review_actions["add_flaw"].trigger()  # a flaw in the table: its cells hold no Tab
    press(qtbot, Qt.Key.Key_Escape)
    seen = _cycle(qtbot, key, modifier, 80)
    # Back at the candidate twice over: a full round, both times.
    assert sum(1 for w in seen if w is review.candidate.code) >= 2
    for widget in (
        review.queue,
        review.form.rationale,
        review.form.flaw_table,
        review.form.submit_button,
        review.panel.chat,
        review.run_box.input,
    ):
        assert widget in seen


@pytest.mark.parametrize("layout", [Layout.COMPARE, Layout.RANK])
def test_on_compare_and_rank_items_no_action_traps_the_keyboard(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, layout: Layout
) -> None:
    """A compare item's keyboard rests on the answer it is on (A first), a rank item's on its
    order list (where a letter picks an answer). Every action, the assistant's included (on a
    compare item Compare and each kind asked of one answer; on a rank item only chat), leaves
    it where single keys act — only N and / open a field here — and Esc comes back home."""
    study = comparison_study(workspace, tmp_path, options='conditions = ["assisted"]\n')
    ada = next(e for e in evaluators.list_evaluators(workspace) if e.name == "Ada")
    review = start_review(qtbot, window, study, ada)
    index = next(i for i, e in enumerate(review.session.queue) if e.item.layout is layout)
    review.open_index(index)
    qtbot.waitUntil(lambda: review.loaded and review.index == index)
    home = review.home_widget()
    assert _focus() is home
    assert home is (review.form.rank.list if layout is Layout.RANK else review.sides.views[0].code)
    fields = {"focus_rationale": review.form.rationale, "focus_chat": review.panel.chat}
    asked = set()
    for action in ACTIONS:
        if action.id in ("next_item", "previous_item", "next_undone", "submit", "undo_submit"):
            continue  # they leave the item (the single-item test walks them)
        review.focus_home()
        if action.id in ("skip", "cheat_sheet"):
            _close_dialogs_soon()
        window.review_actions[action.id].trigger()
        if action.id in ("skip", "cheat_sheet"):
            window.activateWindow()
            qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        focus = _focus()
        if action.id in fields:
            assert focus is fields[action.id], action.id
            press(qtbot, Qt.Key.Key_Escape)
            assert _focus() is review.home_widget(), action.id
        else:
            assert not is_text_field(focus), (action.id, focus)
        live = review.panel.streaming()
        if live is not None:  # the held model talks until stopped
            asked.add(live.kind)
            review.stop()
            qtbot.waitUntil(lambda: review.panel.streaming() is None)
    # ] and [ moved the keyboard to B and back; R regenerated the last, already asked.
    expected = {AssistKind.COMPARE, AssistKind.CRITIQUE, AssistKind.EXPLAIN}
    assert asked == (expected if layout is Layout.COMPARE else set())
    seen = _cycle(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier, 60)
    assert sum(1 for w in seen if w is home) >= 2  # Tab goes round, through home and back
    assert review.form.rationale in seen and review.form.submit_button in seen
