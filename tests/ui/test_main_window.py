"""The main window (offscreen): start page, hostile content shown inert, links, no display."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from support.builders import record, write_jsonl
from support.windows import open_main_window, start_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.display import display_problem
from evalstudio.ui.links import InertBrowser, confirm_and_open
from evalstudio.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama) -> Iterator[MainWindow]:
    studies.ensure_demo_study(workspace)
    with open_main_window(qtbot, workspace, local_backend) as win:
        win.select_study(studies.DEMO_STUDY)
        qtbot.waitUntil(lambda: win.start_page.loaded)
        yield win


def test_it_opens_on_the_start_page_with_the_demo_study_chosen(window: MainWindow) -> None:
    page = window.start_page
    assert window.stack.currentWidget() is page
    study = page.selected_study()
    assert study is not None and study.name == studies.DEMO_STUDY
    assert page.study_list.item(0).text().startswith("Demo study\n42 items")
    assert not window.review_actions["submit"].isEnabled()  # nothing to submit yet


def test_the_model_loads_in_the_background_and_says_so(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.host.ready, timeout=60_000)
    qtbot.waitUntil(lambda: "ready" in window.model_label.text())
    assert "SmolLM2-135M-Instruct" in window.model_label.text()


def test_markup_in_a_candidate_is_shown_as_text_and_fetches_nothing(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    hostile = '<b>bold</b> <img src="file:///etc/hostname"> **strong** [x](javascript:alert(1))'
    path = write_jsonl(tmp_path / "t.jsonl", [record("h", kind="text", candidate=hostile)])
    study = import_tasks(workspace, path, "Hostile").study
    view = start_review(qtbot, window, study, evaluators.add_evaluator(workspace, "Ada"))
    view = view.candidate.text
    html = view.document().toHtml()
    assert "<img" not in html and 'href="javascript' not in html
    assert "[x](javascript:alert(1))" in view.toPlainText()  # shown as written, not a link
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "strong" in view.toPlainText() and "**" not in view.toPlainText()
    assert view.loadResource(0, QUrl("file:///etc/hostname")) is None


def test_a_link_opens_only_after_the_user_confirms(qtbot: QtBot) -> None:
    browser = InertBrowser()
    qtbot.addWidget(browser)
    assert not confirm_and_open(browser, QUrl("javascript:alert(1)"))  # inert: no question
    assert not confirm_and_open(browser, QUrl("file:///etc/passwd"))
    asked: list[str] = []

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QMessageBox)
        asked.append(dialog.text())
        dialog.reject()

    QTimer.singleShot(50, cancel)
    assert not confirm_and_open(browser, QUrl("https://example.org/x"))
    assert asked and "https://example.org/x" in asked[0]


def test_a_screenshot_of_the_window_is_not_blank(window: MainWindow, tmp_path: Path) -> None:
    image = window.grab().toImage()
    # As large as the screen's free area lets it be (offscreen: an 800×800 screen).
    area = window.screen().availableGeometry()
    assert image.width() >= min(1000, area.width() - 40)
    assert image.height() >= min(600, area.height() - 60)
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 20) for y in range(0, image.height(), 20)
    }
    assert len(colours) > 3
    assert window.grab().save(str(tmp_path / "main_window.png"))


def test_no_display_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "argv", ["dist/evalstudio/evalstudio"])  # the binary: no make
    problem = display_problem()
    assert problem is not None and "make" not in problem
    assert "xvfb-run -a dist/evalstudio/evalstudio" in problem
    assert "dist/evalstudio/evalstudio --self-test" in problem
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None
