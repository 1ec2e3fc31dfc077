"""The main window (offscreen): lists the studies and items, shows an item, J/K move between."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import record, write_jsonl
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from evalstudio.services import studies
from evalstudio.services.importing import import_tasks
from evalstudio.services.workspace import Workspace
from evalstudio.ui.display import display_problem
from evalstudio.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    studies.ensure_demo_study(workspace)
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.select_study(studies.DEMO_STUDY)
    win.show()
    return win


def test_it_lists_the_demo_study_and_shows_its_first_item(window: MainWindow) -> None:
    assert window.study_list.count() == 1
    assert window.study_list.item(0).text().startswith("Demo study\n")
    assert window.windowTitle() == "EvalStudio — Demo study"
    assert window.item_list.count() >= 30
    assert window.item_list.currentRow() == 0
    first_line = window.candidate_view.toPlainText().splitlines()[0]
    assert first_line.lstrip().startswith("1 │ ")
    assert window.prompt_view.toPlainText().strip()
    assert window.prompt_view.textCursor().position() == 0  # opens at the top of the task
    assert "SmolLM2-135M-Instruct" in window.model_label.text()


def test_j_and_k_move_between_items(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_J)
    qtbot.keyClick(window, Qt.Key.Key_J)
    assert window.item_list.currentRow() == 2
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert window.item_list.currentRow() == 1
    assert window.statusBar().currentMessage().startswith("Item 2 of ")


def test_a_text_item_is_shown_without_line_numbers(window: MainWindow) -> None:
    texts = [
        row
        for row in range(window.item_list.count())
        if "[text]" in window.item_list.item(row).text()
    ]
    window.item_list.setCurrentRow(texts[0])
    assert window.candidate_stack.currentWidget() is window.text_view
    shown = window.text_view.toPlainText()
    assert shown and "**" not in shown  # rendered Markdown, not its source


def test_markup_in_a_candidate_is_shown_as_text_not_rendered(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    hostile = '<b>bold</b> <img src="file:///etc/hostname"> **strong**'
    path = write_jsonl(tmp_path / "t.jsonl", [record("h", kind="text", candidate=hostile)])
    import_tasks(workspace, path, "Hostile")
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.select_study("Hostile")
    html = win.text_view.document().toHtml()
    assert "<img" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "strong" in win.text_view.toPlainText() and "**" not in win.text_view.toPlainText()


def test_a_screenshot_of_the_window_is_not_blank(window: MainWindow, tmp_path: Path) -> None:
    image = window.grab().toImage()
    assert image.width() >= 1000 and image.height() >= 600
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 40) for y in range(0, image.height(), 40)
    }
    assert len(colours) > 3
    assert window.grab().save(str(tmp_path / "main_window.png"))


def test_no_display_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    problem = display_problem()
    assert problem is not None and "xvfb-run" in problem
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None
