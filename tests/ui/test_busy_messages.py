"""A message about work under way ("Building the report…") stays while the work lasts and is
gone when it ends, done or failed; a message that replaced it meanwhile stays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from support.windows import open_main_window

from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> Iterator[MainWindow]:
    studies.ensure_demo_study(workspace)
    with open_main_window(qtbot, workspace) as win:
        yield win


def test_building_the_report_is_said_until_the_report_shows(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.owner_tools.open_report(studies.DEMO_STUDY)
    assert window.statusBar().currentMessage() == "Building the report of 'Demo study'…"
    qtbot.waitUntil(lambda: window.owner_tools.report_view is not None, timeout=30_000)
    assert window.statusBar().currentMessage() == ""


def test_a_report_that_fails_replaces_the_message_with_why(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    window.owner_tools.open_report("No such study")
    qtbot.waitUntil(lambda: bool(warned))
    assert window.statusBar().currentMessage() == warned[0]
    assert "no study named 'No such study'" in warned[0]


def test_the_end_of_work_leaves_a_newer_message_alone(window: MainWindow) -> None:
    ended = window.show_busy("Merging 2 files…")
    window.show_message("Created the study 'X'.")
    ended()
    assert window.statusBar().currentMessage() == "Created the study 'X'."
    ended = window.show_busy("Merging 2 files…")
    ended()
    assert window.statusBar().currentMessage() == ""
