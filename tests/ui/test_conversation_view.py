"""A conversation candidate on screen: the earlier turns in the task tab, each under its
number and role, rendered inert; the evaluated turn named in words in a marked row and in the
candidate pane's title, and it is what a flaw is selected in."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot
from support.builders import MESSAGES, chat, record, write_jsonl
from support.heartbeat import GAP, largest_gap
from support.held_backend import HeldBackend
from support.windows import open_main_window, start_review

from evalstudio.core.conversation import Role, Turn
from evalstudio.render.conversation_html import MAX_SHOWN_TURN, conversation_pages
from evalstudio.render.theme import DARK, LIGHT
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.review.review_view import ReviewView

HOSTILE = (
    Turn(Role.SYSTEM, "Be helpful."),
    Turn(Role.USER, '<script>alert(1)</script> <img src="file:///etc/passwd"> [x](javascript:go)'),
)


def _shown(html_pages: list[str]) -> QTextBrowser:
    browser = QTextBrowser()
    browser.setHtml("".join(html_pages))
    return browser


def test_each_turn_is_shown_under_its_number_and_role_and_the_evaluated_turn_is_named(
    qtbot: QtBot,
) -> None:
    pages = conversation_pages(HOSTILE, LIGHT)
    assert len(pages.html) == 3 and pages.text == []  # a page a turn, then the marker
    text = _shown(pages.html).toPlainText()
    assert text.index("Turn 1 · System") < text.index("Be helpful.") < text.index("Turn 2 · User")
    assert "▶ Evaluated turn 3 of 3: Assistant — the answer under review" in text
    assert LIGHT.evaluated_turn in pages.html[-1]
    assert DARK.evaluated_turn in conversation_pages(HOSTILE, DARK).html[-1]


def test_html_and_script_in_a_turn_are_shown_as_text_never_obeyed(qtbot: QtBot) -> None:
    pages = conversation_pages(HOSTILE, LIGHT)
    joined = "".join(pages.html)
    assert "<script" not in joined and "<img" not in joined and "<a " not in joined
    text = _shown(pages.html).toPlainText()
    assert "<script>alert(1)</script>" in text and "[x](javascript:go)" in text
    assert 'src="file:///etc/passwd"' in text


def test_a_huge_turn_is_cut_with_a_note_and_a_late_render_is_plain(qtbot: QtBot) -> None:
    huge = (Turn(Role.USER, "word " * 40_000), Turn(Role.ASSISTANT, "*short*"))
    pages = conversation_pages(huge, LIGHT)
    rest = 200_000 - MAX_SHOWN_TURN
    assert f"… {rest:,} more characters of this turn are not shown." in pages.html[0]
    late = conversation_pages(huge[1:], LIGHT, deadline=time.monotonic() - 1)
    assert "Shown as plain text: too slow to format" in late.html[0] and "*short*" in late.html[0]


def test_the_review_shows_the_transcript_and_marks_the_evaluated_turn_where_flaws_are_chosen(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [chat("c1"), record("plain", prompt="Write add.")])
    study = import_tasks(workspace, path, "S").study
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, HeldBackend(), size=(1280, 720)) as window:
        review = start_review(qtbot, window, study, ada)
        if review.entry.item.conversation is None:
            review.step(1)
            qtbot.waitUntil(lambda: review.entry.item.conversation is not None and review.loaded)
        qtbot.waitUntil(lambda: "▶ Evaluated" in review.task_view.toPlainText())
        shown = review.task_view.toPlainText()
        for n, message in enumerate(MESSAGES[:-1], start=1):
            assert f"Turn {n} · {message['role'].title()}" in shown
        assert review.task_tabs.tabText(0) == "Conversation (4 earlier turns)"
        assert review.candidate_title.text() == "▶ Evaluated turn 5 of 5: Assistant"
        assert review.candidate.text.accessibleName() == "Evaluated turn 5 of 5: Assistant, text"
        bar = review.task_view.verticalScrollBar()
        assert bar.value() == bar.maximum()  # the newest turns in view
        grown = review.center.sizes()[0]
        assert grown > 140  # the transcript took height from the candidate (default 140)
        view = review.candidate.text
        qtbot.waitUntil(lambda: "30 minutes" in view.toPlainText())
        plain = view.toPlainText()
        cursor = view.textCursor()
        cursor.setPosition(plain.index("30 minutes"))
        cursor.setPosition(plain.index("30 minutes") + 10, QTextCursor.MoveMode.KeepAnchor)
        view.setTextCursor(cursor)
        review.add_flaw_from_selection()
        (flaw,) = review.form.form().flaws
        answer = MESSAGES[-1]["content"]
        assert flaw.span is not None and answer[flaw.span.start : flaw.span.end] == "30 minutes"
        review.step(1 if review.index == 0 else -1)
        qtbot.waitUntil(lambda: review.entry.item.conversation is None and review.loaded)
        assert review.task_tabs.tabText(0) == "Task"
        assert review.center.sizes()[0] < grown  # a plain item gets the sizes from before
        assert review.candidate_title.text() == "Candidate answer"
        assert review.candidate.text.accessibleName() == "Candidate text"


def test_a_huge_transcript_fills_in_without_freezing_the_window(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    """600 turns of 5,000 characters (3 MB, under the record cap): a turn a page, the rest
    plain past the format deadline; a 10 ms heartbeat keeps ticking (support/heartbeat.py)."""
    body = "Some *words* and a [link](http://example.com) in a long message. " * 75
    turns = [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"({n}) {body}"}
        for n in range(599)
    ]
    turns.append({"role": "assistant", "content": "The answer."})
    path = write_jsonl(tmp_path / "s.jsonl", [chat("huge", messages=turns)])
    study = import_tasks(workspace, path, "S").study
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, HeldBackend(), size=(1280, 720)) as window:
        started: list[ReviewView] = []
        gap = largest_gap(
            qtbot,
            lambda: started.append(start_review(qtbot, window, study, ada)),
            lambda: (
                bool(started)
                and "▶ Evaluated turn 600 of 600" in started[0].task_view.toPlainText()
            ),
        )
        assert gap < GAP
        review = started[0]
        shown = review.task_view.toPlainText()
        assert "Turn 1 · User" in shown and "(598) Some" in shown  # formatted, or plain if late
