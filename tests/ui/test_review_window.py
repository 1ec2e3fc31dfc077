"""The review window driven like an evaluator drives it (offscreen, real model, real SQLite):
keyboard-only judging, each assist kind, stop, marks, flaws from selections, undo, reveal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.builders import pair, record, write_jsonl
from support.windows import open_main_window, start_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.misleading import MAX_POINTS
from evalstudio.core.model import Evaluator, LineRange, Study, Verdict
from evalstudio.core.review import Condition, FlawSource, PointMark, Stage
from evalstudio.render.theme import DARK
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assignments, assist_log
from evalstudio.store import studies as study_rows
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView
from evalstudio.ui.review.skip_dialog import SkipDialog

TEXT = "The **Eiffel Tower** was finished in *1899*.\n\nIt stands in Paris."


@pytest.fixture
def max_tokens() -> int:
    return 48


@pytest.fixture
def window(
    qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama, max_tokens: int
) -> Iterator[MainWindow]:
    with open_main_window(
        qtbot, workspace, local_backend, settings={"model/max_tokens": max_tokens}
    ) as win:
        qtbot.waitUntil(lambda: win.host.ready, timeout=60_000)
        yield win


@pytest.fixture
def ada(workspace: Workspace) -> Evaluator:
    return evaluators.add_evaluator(workspace, "Ada")


def _small_study(workspace: Workspace, tmp_path: Path) -> Study:
    records = [
        *pair("p1"),
        record("t1", kind="text", language="en", prompt="When was it finished?", candidate=TEXT),
    ]
    return import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Small").study


def _start(qtbot: QtBot, win: MainWindow, study: Study, evaluator: Evaluator) -> ReviewView:
    return start_review(qtbot, win, study, evaluator)


def _key(qtbot: QtBot, review: ReviewView, key: str | Qt.Key, modifier: object = None) -> None:
    """A key press where the evaluator's focus is: the candidate, not a text field."""
    target = QApplication.focusWidget() or review
    mods = modifier if modifier is not None else Qt.KeyboardModifier.NoModifier
    if isinstance(key, str):
        qtbot.keyClicks(target, key)
    else:
        qtbot.keyClick(target, key, mods)  # type: ignore[arg-type]


def _wait_response(qtbot: QtBot, win: MainWindow, count: int) -> None:
    review = win.review
    assert review is not None
    qtbot.waitUntil(
        lambda: review.panel.streaming() is None and len(review.panel._entries) == count,
        timeout=60_000,
    )


def test_the_start_page_lists_the_studies_and_a_new_evaluator_starts_on_the_first_item(
    qtbot: QtBot, window: MainWindow, workspace: Workspace
) -> None:
    studies.ensure_demo_study(workspace)
    window.start_page.refresh()
    qtbot.waitUntil(lambda: window.start_page.study_list.count() == 1)
    assert window.start_page.selected_study() is not None
    window.start_page.add_evaluator("Grace", then_start=True)
    qtbot.waitUntil(lambda: window.review is not None and window.review.loaded)
    review = window.review
    assert review is not None and review.index == 0
    assert review.candidate.code.toPlainText().splitlines()[0].lstrip().startswith("1 │ ")
    assert review.assistant_box.isVisible()
    assert "Grace" in window.windowTitle()
    assert "Item 1 of 42 · 0 done" in window.progress_label.text()


def test_an_evaluator_judges_with_the_keyboard_only_and_undoes_the_submit(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _small_study(workspace, tmp_path)
    review = _start(qtbot, window, study, ada)
    review.candidate.code.setFocus()
    _key(qtbot, review, "f5")
    _key(qtbot, review, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    cursor = review.candidate.code.textCursor()  # select lines 1-2 (Shift+Down, Shift+End)
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    review.candidate.code.setTextCursor(cursor)
    _key(qtbot, review, "l")  # add a flaw from the selection: the description cell opens
    qtbot.keyClicks(QApplication.focusWidget(), "wrong sign")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    review.candidate.code.setFocus()
    _key(qtbot, review, "n")
    assert QApplication.focusWidget() is review.form.rationale
    qtbot.keyClicks(review.form.rationale, "adds instead of subtracting")
    _key(qtbot, review, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: review.index == 1 and review.loaded and window.jobs.idle)
    session = ReviewSession(workspace, study, ada)
    first_item = session.queue[0].item.item_id
    stored = session.state(first_item).item.final
    assert stored is not None
    form = stored.form
    assert (form.verdict, form.quality, form.confidence) == (Verdict.FLAWED, 5, 4)
    assert form.rationale == "adds instead of subtracting"
    (flaw,) = form.flaws
    assert flaw.lines == LineRange(1, 2) and flaw.description == "wrong sign"
    assert flaw.source is FlawSource.OWN and form.active_ms > 0
    assert stored.condition is Condition.ASSISTED
    assert "1 done" in window.progress_label.text()

    # On the next item, Ctrl+Z takes the submit back: the item and its form return.
    review.candidate.current_browser().setFocus()
    _key(qtbot, review, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == 0 and review.loaded)
    assert review.form.form().rationale == "adds instead of subtracting"
    assert first_item not in review.done
    assert ReviewSession(workspace, study, ada).state(first_item).item.final is None
    # Submitting again appends a version that names the retracted one.
    _key(qtbot, review, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == 1 and window.jobs.idle)
    again = ReviewSession(workspace, study, ada).state(first_item).item.final
    assert again is not None and again.supersedes_id == stored.id


def test_an_incomplete_judgment_is_not_submitted_and_says_what_is_missing(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    _key(qtbot, review, "a")
    _key(qtbot, review, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert review.index == 0
    assert "quality" in review.form.problem.text() and "confidence" in review.form.problem.text()
    assert workspace.db["judgments"].count == 0


def test_each_assist_kind_streams_into_the_panel_and_is_logged(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    for count, key in enumerate(("c", "e"), start=1):
        review.candidate.code.setFocus()
        _key(qtbot, review, key)
        _wait_response(qtbot, window, count)
    # Fact-check fits text, or code with a reference (core/assist_kinds.py): not this item.
    _key(qtbot, review, "x")
    assert review.panel.streaming() is None and len(review.panel._entries) == 2
    review.candidate.code.setFocus()
    _key(qtbot, review, "/")
    assert QApplication.focusWidget() is review.panel.chat
    qtbot.keyClicks(review.panel.chat, "Which line adds the numbers?")
    qtbot.keyClick(review.panel.chat, Qt.Key.Key_Return)
    _wait_response(qtbot, window, 3)

    item = review.entry.item.item_id
    events = assist_log.events_of_item(workspace.db, item, ada.id)
    kinds = [AssistKind.CRITIQUE, AssistKind.EXPLAIN, AssistKind.CHAT]
    assert [e.kind for e in events] == kinds
    assert all(e.outcome is Outcome.DONE and e.response for e in events)
    assert events[-1].chat[-1]["content"] == "Which line adds the numbers?"
    shown = review.panel.response_view.toPlainText()
    for title in ("Critique", "Explanation", "You: Which line adds the numbers?"):
        assert title in shown


def test_stop_ends_a_response_mid_stream_and_regenerate_makes_a_new_one(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    _key(qtbot, review, "e")
    qtbot.waitUntil(lambda: (live := review.panel.streaming()) is not None and live.chunks >= 3)
    _key(qtbot, review, Qt.Key.Key_Escape)
    _wait_response(qtbot, window, 1)
    (event,) = assist_log.events_of_item(workspace.db, review.entry.item.item_id, ada.id)
    assert event.outcome is Outcome.CANCELLED
    assert event.completion_tokens is not None and event.completion_tokens < 48
    assert "(stopped)" in review.panel.response_view.toPlainText()

    _key(qtbot, review, "r")
    _wait_response(qtbot, window, 2)
    first, second = assist_log.events_of_item(workspace.db, review.entry.item.item_id, ada.id)
    row = assist_log.event_row(workspace.db, second.id)
    assert row is not None and row["regenerates_id"] == first.id
    assert second.kind is AssistKind.EXPLAIN and second.outcome is Outcome.DONE


# The misleading draw is seeded by the study's and the evaluator's fresh ids, so the request
# differs in every run and no recorded reply can match it: the real model answers.
@pytest.mark.model
@pytest.mark.parametrize("max_tokens", [200])
def test_critique_points_show_their_lines_can_be_marked_and_become_flaws(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    # A misleading assistant at p = 1 on the correct twin flags a line in its first point (it
    # lists as many points as an honest critique may: core/misleading.py, HonestPoints).
    study = _small_study(workspace, tmp_path)
    with workspace.db.atomic():
        study_rows.set_review_options(
            workspace.db, study.id, commit_before_reveal=False, misleading_p=1.0
        )
    correct = studies.study_items(workspace, study.id)[0].item_id
    with workspace.db.atomic():
        assignments.insert_assignments(
            workspace.db, study.id, ada.id, [(correct, Condition.MISLEADING)]
        )
    review = _start(qtbot, window, study, ada)
    _key(qtbot, review, "c")
    _wait_response(qtbot, window, 1)
    assert 1 <= review.panel.points.count() <= MAX_POINTS
    review.panel.points.setCurrentRow(0)  # a click on the point
    point = review.panel._points[0]
    assert point.lines is not None
    marked = review.candidate.code.document().toHtml()
    assert "#fff3b0" in marked  # the point's lines are shaded in the candidate

    review.candidate.code.setFocus()
    _key(qtbot, review, "v")
    _key(qtbot, review, "i")
    review.panel.add_flaw_button.click()
    qtbot.waitUntil(lambda: window.jobs.idle)
    state = ReviewSession(workspace, study, ada).state(correct)
    event_id = review.panel.last_event()
    assert event_id is not None
    assert state.item.point_marks == {(event_id.id, 0): PointMark.INVALID}
    (flaw,) = review.form.form().flaws
    assert flaw.source is FlawSource.ASSISTANT and flaw.lines == point.lines
    assert flaw.assist_event_id == event_id.id and flaw.point_index == 0
    assert "manipulat" not in review.panel.response_view.toPlainText().lower()


def test_an_unassisted_item_has_no_assistant_at_all(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _small_study(workspace, tmp_path)
    items = [v.item_id for v in studies.study_items(workspace, study.id)]
    with workspace.db.atomic():
        assignments.insert_assignments(
            workspace.db,
            study.id,
            ada.id,
            [(items[1], Condition.UNASSISTED), (items[2], Condition.ASSISTED)],
        )
    review = _start(qtbot, window, study, ada)
    assert review.entry.item.item_id == items[1]
    assert not review.assistant_box.isVisible()
    _key(qtbot, review, "c")
    qtbot.waitUntil(lambda: window.jobs.idle)
    assert assist_log.events_of_item(workspace.db, items[1]) == []
    _key(qtbot, review, "j")
    qtbot.waitUntil(lambda: review.loaded)
    assert review.entry.item.item_id == items[2] and review.assistant_box.isVisible()


def test_commit_before_reveal_takes_a_first_verdict_then_opens_the_assistant(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _small_study(workspace, tmp_path)
    with workspace.db.atomic():
        study_rows.set_review_options(
            workspace.db, study.id, commit_before_reveal=True, misleading_p=0.3
        )
    review = _start(qtbot, window, study, ada)
    assert review.stage is Stage.FIRST and not review.assistant_box.isVisible()
    assert not review.form.quality.buttons()[0].isVisibleTo(review.form)
    _key(qtbot, review, "a")
    _key(qtbot, review, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    _key(qtbot, review, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert review.stage is Stage.FINAL and review.assistant_box.isVisible()
    assert review.index == 0 and review.form.form().verdict is Verdict.ACCEPTABLE
    review.candidate.code.setFocus()
    _key(qtbot, review, "f6")
    _key(qtbot, review, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.index == 1 and window.jobs.idle)
    item = studies.study_items(workspace, study.id)[0].item_id
    state = ReviewSession(workspace, study, ada).state(item)
    assert state.revealed
    assert state.item.first is not None and state.item.first.form.verdict is Verdict.ACCEPTABLE
    assert state.item.final is not None and state.item.final.form.verdict is Verdict.FLAWED
    assert state.item.final.form.quality == 6


def test_a_passage_of_a_text_candidate_becomes_a_flaw_with_source_offsets(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    review.open_index(2)
    qtbot.waitUntil(lambda: review.loaded)
    view = review.candidate.text
    shown = view.toPlainText()
    assert "**" not in shown
    cursor = view.textCursor()
    start = shown.index("1899")
    cursor.setPosition(start)
    cursor.setPosition(start + 4, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    view.setFocus()
    _key(qtbot, review, "l")
    (flaw,) = review.form.form().flaws
    assert flaw.span is not None and TEXT[flaw.span.start : flaw.span.end] == "1899"
    assert review.form.flaw_table.item(0, 0).text() == "“1899”"


def test_the_draft_is_saved_as_the_evaluator_types_and_restored_on_return(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _small_study(workspace, tmp_path)
    review = _start(qtbot, window, study, ada)
    _key(qtbot, review, "f")
    review.form.rationale.setFocus()
    qtbot.keyClicks(review.form.rationale, "half a thought")
    item = review.entry.item.item_id
    qtbot.waitUntil(
        lambda: (
            (d := ReviewSession(workspace, study, ada).state(item).item.draft) is not None
            and d.rationale == "half a thought"
        )
    )
    review.candidate.code.setFocus()
    _key(qtbot, review, "j")
    _key(qtbot, review, "k")
    qtbot.waitUntil(lambda: review.index == 0 and review.loaded)
    restored = review.form.form()
    assert restored.rationale == "half a thought" and restored.verdict is Verdict.FLAWED


def test_dark_mode_renders_code_in_dark_colours(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    review.set_theme(DARK)
    assert review.candidate.theme is DARK
    qtbot.waitUntil(lambda: not review.candidate.busy)  # rendered off the GUI thread
    assert "#7d8590" in review.candidate.code.document().toHtml().lower()


def test_the_cheat_sheet_and_the_menus_show_every_shortcut(window: MainWindow) -> None:
    from evalstudio.ui.cheat_sheet import cheat_sheet_html
    from evalstudio.ui.shortcuts import ACTIONS

    sheet = cheat_sheet_html({})
    for action in ACTIONS:
        assert action.label in sheet
        assert window.review_actions[action.id].shortcuts()


def test_a_shortcut_changed_in_the_settings_takes_effect(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    window.settings.set_shortcuts({"next_item": "Ctrl+Down"})
    window.apply_shortcuts()
    review = _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    _key(qtbot, review, "j")
    assert review.index == 0  # J no longer moves
    _key(qtbot, review, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert review.index == 1


def _answer_skip(reason: str | None) -> None:
    """Answer the skip dialog about to open: write `reason` and skip, or cancel (None)."""

    def answer() -> None:
        (dialog,) = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, SkipDialog) and w.isVisible()
        ]
        if reason is None:
            dialog.reject()
        else:
            dialog.reason.setPlainText(reason)
            dialog.accept()

    QTimer.singleShot(50, answer)


def test_a_skip_needs_a_reason_and_is_stored_with_it(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _small_study(workspace, tmp_path)
    review = _start(qtbot, window, study, ada)
    _answer_skip(None)  # cancelled: nothing happens
    _key(qtbot, review, "s")
    assert review.index == 0
    _answer_skip("cannot judge Python")
    # Offscreen, a closed dialog does not give the window its activation back, so window
    # shortcuts stay quiet; the action is what the key triggers.
    window.review_actions["skip"].trigger()
    qtbot.waitUntil(lambda: review.index == 1 and window.jobs.idle)
    item = studies.study_items(workspace, study.id)[0].item_id
    final = ReviewSession(workspace, study, ada).state(item).item.final
    assert final is not None and final.skipped_reason == "cannot judge Python"
    review.open_index(0)
    qtbot.waitUntil(lambda: review.loaded)
    assert "you skipped it (cannot judge Python)" in review.form.stage_label.text()


def test_the_splitters_remember_their_sizes(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _small_study(workspace, tmp_path)
    review = _start(qtbot, window, study, ada)
    review.outer.setSizes([100, 700, 500])
    wanted = review.outer.sizes()
    window.show_start()
    review = _start(qtbot, window, study, ada)
    assert review.outer.sizes() == wanted


def test_the_status_bar_shows_progress_and_time_on_the_item(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    _start(qtbot, window, _small_study(workspace, tmp_path), ada)
    qtbot.waitUntil(lambda: window.progress_label.text() == "Item 1 of 3 · 0 done")
    assert window.time_label.text().startswith("On item 0:0")
