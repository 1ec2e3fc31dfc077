"""Suspicion in the candidate's gutter: a narrow column beside the code, painted per line by the
model's doubt, and the list of the three most suspicious lines (click one to show it).

The strip reads line positions from the code browser's document, so it follows scrolling and
the font; colours come from one hue for either palette (light or dark), stronger for more doubt.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextBrowser, QWidget

from evalstudio.core.model import LineRange
from evalstudio.core.suspicion import TOP, Unit, top_units
from evalstudio.render.theme import LIGHT, Theme

WIDTH = 10  # pixels


def heat(score: float, theme: Theme) -> QColor:
    """The colour of a score in [0, 1]: transparent-ish at 0, the theme's marked colour's
    strong red-orange at 1; readable on the light and on the dark background."""
    dark = theme is not LIGHT
    base = QColor("#ff5a36") if dark else QColor("#d7301f")
    colour = QColor(base)
    colour.setAlphaF(0.12 + 0.88 * max(0.0, min(1.0, score)))
    return colour


class SuspicionStrip(QWidget):
    """The gutter column beside `browser`: one band per scored line."""

    line_clicked = Signal(object)  # LineRange

    def __init__(self, browser: QTextBrowser) -> None:
        super().__init__()
        self.browser = browser
        self.theme = LIGHT
        self.scores: dict[int, float] = {}  # line → score
        self.setFixedWidth(WIDTH)
        self.setAccessibleName("Suspicion per line")
        self.setToolTip("The model's doubt per line: the stronger the colour, the more suspicious")
        browser.verticalScrollBar().valueChanged.connect(self.update)

    def show_scores(self, units: Sequence[Unit], scores: Sequence[float]) -> None:
        self.scores = {}
        for unit, score in zip(units, scores, strict=False):
            self.scores[unit.line] = max(score, self.scores.get(unit.line, 0.0))
        self.update()

    def clear(self) -> None:
        self.scores = {}
        self.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def band(self, line: int) -> QRect | None:
        """Where line `line`'s band is painted, in this widget's coordinates."""
        doc = self.browser.document()
        block = doc.findBlockByNumber(line - 1)
        if not block.isValid():
            return None
        rect = doc.documentLayout().blockBoundingRect(block)
        offset = self.browser.verticalScrollBar().value()
        top = int(rect.top()) - offset + self.browser.viewport().y()
        return QRect(0, top, WIDTH, max(2, int(rect.height())))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        for line, score in self.scores.items():
            band = self.band(line)
            if band is not None and band.intersects(self.rect()):
                painter.fillRect(band, heat(score, self.theme))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        y = int(event.position().y())
        for line in self.scores:
            band = self.band(line)
            if band is not None and band.top() <= y <= band.bottom():
                self.line_clicked.emit(LineRange(line, line))
                return


class TopLines(QListWidget):
    """The three most suspicious lines, most first; choosing one emits its lines."""

    line_chosen = Signal(object)  # LineRange

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Most suspicious lines")
        self._lines: list[int] = []
        self.currentRowChanged.connect(self._chosen)

    def show_scores(self, units: Sequence[Unit], scores: Sequence[float]) -> None:
        self.blockSignals(True)
        self.clear()
        self._lines = []
        for i in top_units(scores, TOP):
            unit = units[i]
            text = unit.text.strip()
            text = text if len(text) <= 60 else text[:59] + "…"
            self.addItem(QListWidgetItem(f"Line {unit.line} · {scores[i]:.0%} · {text}"))
            self._lines.append(unit.line)
        self.blockSignals(False)

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self._lines):
            self.line_chosen.emit(LineRange(self._lines[row], self._lines[row]))
