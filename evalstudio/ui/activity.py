"""Feeds the active-time clock from real input: keys, clicks, wheel and window focus."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from evalstudio.core.active_time import ActiveClock

_INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.Wheel,
    QEvent.Type.MouseMove,
}


class ActivityWatcher(QObject):
    """Watches the whole application; `clock` is replaced for each item opened."""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self.clock = ActiveClock(time.monotonic(), focused=_focused(app))
        self.inputs = 0  # key presses, clicks, scrolls since the app started
        app.installEventFilter(self)
        app.applicationStateChanged.connect(self._state_changed)
        self._app = app

    def stop(self) -> None:
        self._app.removeEventFilter(self)

    def restart(self, already_ms: int) -> None:
        self.clock = ActiveClock(
            time.monotonic(), focused=_focused(self._app), already_ms=already_ms
        )

    def active_ms(self) -> int:
        return self.clock.active_ms(time.monotonic())

    def idle(self) -> bool:
        return self.clock.idle(time.monotonic())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            self.inputs += 1
            self.clock.input(time.monotonic())
        return False

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        self.clock.focus(state == Qt.ApplicationState.ApplicationActive, time.monotonic())


def _focused(app: QApplication) -> bool:
    # Offscreen (tests, screenshots) there is no window manager to activate a window.
    return app.platformName() == "offscreen" or (
        app.applicationState() == Qt.ApplicationState.ApplicationActive
    )
