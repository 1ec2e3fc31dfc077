"""Opening the app's main window in a test and starting a review in it, written once: fresh
settings (a test must not inherit another's window geometry or model settings), the window
shown, and the review waited for until its first item is on screen."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from evalstudio.core.model import Evaluator, Study
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView


def clear_settings() -> QSettings:
    settings = QSettings("EvalStudio", "EvalStudio")
    settings.clear()
    return settings


@contextmanager
def open_main_window(
    qtbot: QtBot,
    workspace: Workspace,
    backend: Any = None,
    *,
    size: tuple[int, int] | None = None,
    settings: Mapping[str, object] | None = None,
    **options: Any,
) -> Iterator[MainWindow]:
    """The main window on `workspace`, shown (at `size` if given), closed and its settings
    cleared on leaving. It starts from cleared settings with `settings` set (e.g.
    `{"model/max_tokens": 200}`); `options` go to MainWindow (e.g. `package=`)."""
    stored = clear_settings()
    for key, value in (settings or {}).items():
        stored.setValue(key, value)
    window = MainWindow(workspace, backend=backend, **options)
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    try:
        yield window
    finally:
        window.close()
        stored.clear()


def start_review(
    qtbot: QtBot, window: MainWindow, study: Study, evaluator: Evaluator
) -> ReviewView:
    """Start `evaluator`'s review of `study` and wait for its first item to be loaded."""
    window.start_review(study, evaluator)
    return wait_for_review(qtbot, window)


def wait_for_review(qtbot: QtBot, window: MainWindow) -> ReviewView:
    qtbot.waitUntil(lambda: window.review is not None and window.review.loaded)
    assert window.review is not None
    return window.review


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier | None = None) -> None:
    """A key where the keyboard is (the focused widget), as the evaluator presses it."""
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifier or Qt.KeyboardModifier.NoModifier)
