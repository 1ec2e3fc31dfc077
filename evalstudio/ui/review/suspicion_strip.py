"""Suspicion in the candidate's gutter: a narrow column beside the code, painted per line by the
model's doubt, and the list of the three most suspicious lines (click one to show it).

The strip reads line positions from the code browser's document, so it follows scrolling and
the font; colours come from one hue for either palette (light or dark), stronger for more doubt.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QTextBrowser,
    QToolTip,
    QWidget,
)

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
        self.noun_lines = True  # a text's bands are paragraphs: its tooltip names no line
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
        line = self.line_at(int(event.position().y()))
        if line is not None:
            self.line_clicked.emit(LineRange(line, line))

    def line_at(self, y: int) -> int | None:
        """The scored line whose band holds height `y`, if any."""
        for line in self.scores:
            band = self.band(line)
            if band is not None and band.top() <= y <= band.bottom():
                return line
        return None

    def event(self, event: QEvent) -> bool:
        """Hovering a band says its score: colours alone are hard to tell apart."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            line = self.line_at(event.pos().y())
            if line is not None:
                where = f"Line {line}: " if self.noun_lines else ""
                QToolTip.showText(
                    event.globalPos(), f"{where}{self.scores[line]:.0%}, the model's doubt", self
                )
                return True
        return super().event(event)


class TopLines(QListWidget):
    """The three most suspicious lines, most first; choosing one emits its lines (and the unit,
    for a text candidate, whose sentences are not lines of the rendered page)."""

    line_chosen = Signal(object)  # LineRange
    unit_chosen = Signal(object)  # Unit

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Most suspicious lines")
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Its three rows and no more: the candidate above it takes the rest of the height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._units: list[Unit] = []
        self.currentRowChanged.connect(self._chosen)
        # A click on the row already chosen shows its line again (after scrolling away).
        self.itemClicked.connect(lambda item: self._chosen(self.row(item)))

    def show_scores(
        self, units: Sequence[Unit], scores: Sequence[float], noun: str | None = "Line"
    ) -> None:
        """List the top units; `noun` names a unit by its line ("Line 4"), None by its text
        alone (a sentence)."""
        self.blockSignals(True)
        self.clear()
        self._units = []
        for i in top_units(scores, TOP):
            unit = units[i]
            text = unit.text.strip()
            text = text if len(text) <= 60 else text[:59] + "…"
            where = f"{noun} {unit.line} · " if noun else ""
            self.addItem(QListWidgetItem(f"{where}{scores[i]:.0%} · {text}"))
            self._units.append(unit)
        self.blockSignals(False)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        """Tall enough for the three rows, no more: the candidate keeps the space."""
        row = self.sizeHintForRow(0) if self.count() else self.fontMetrics().height() + 4
        return QSize(super().sizeHint().width(), TOP * row + 2 * self.frameWidth() + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()  # a scroll area's own minimum (70 px) would leave a gap

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self._units):
            unit = self._units[row]
            self.line_chosen.emit(LineRange(unit.line, unit.line))
            self.unit_chosen.emit(unit)
