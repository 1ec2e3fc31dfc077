"""Which answer of a compare item the evaluator is on: the pane that has, or last had, the
keyboard (a click or Tab into a pane gives it the keyboard too); A when an item opens. A
critique, fact-check or explanation asked there is of that answer."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QTextBrowser, QWidget

from evalstudio.core.comparison import Layout
from evalstudio.ui.review.sides_view import SidesView


class AnswerOn(QObject):
    changed = Signal(int)  # the side index the evaluator is now on

    def __init__(self, sides: SidesView) -> None:
        super().__init__(sides)  # ends with the view
        self.sides = sides
        self.index = 0
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._focus_moved)

    def choose(self, index: int) -> None:
        self.index = index
        self.changed.emit(index)

    def step(self, delta: int) -> None:
        """Be on the next (or previous) answer, round the end."""
        if self.sides.sides:
            self.choose((self.index + delta) % len(self.sides.sides))

    def browser(self) -> QTextBrowser:
        """Where the keyboard rests on this answer."""
        return self.sides.views[self.index].current_browser()

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or self.sides.layout_ is not Layout.COMPARE or not self.sides.isVisible():
            return
        for index in range(len(self.sides.sides)):
            if self.sides.panes[index].isAncestorOf(new) and index != self.index:
                self.choose(index)
                return
