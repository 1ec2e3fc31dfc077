"""Small pieces of text and layout the windows share: a titled pane, a hint, a line range in
words, a button as narrow as its text."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QLabel,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.model import LineRange


def titled(
    title: str | QLabel, widget: QWidget, margin: int = 0, note: QLabel | None = None
) -> QWidget:
    """`widget` under a bold title (a label that is also the widget's buddy), and a `note`
    beside the title if given."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(margin, margin, margin, margin)
    layout.setSpacing(2)
    label = title if isinstance(title, QLabel) else QLabel(title)
    # A bold font, not a style sheet: a styled label would keep its colours when the palette
    # changes (ui/palette.py).
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setBuddy(widget)
    if note is None:
        layout.addWidget(label)
    else:
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(note, 1)
        layout.addLayout(row)
    layout.addWidget(widget, 1)
    return box


def lines_text(lines: LineRange) -> str:
    """ "line 3" or "lines 3–5"."""
    if lines.start == lines.end:
        return f"line {lines.start}"
    return f"lines {lines.start}–{lines.end}"


def hint(text: str = "") -> QLabel:
    """A secondary line of text (a key's meaning, a path, a count): muted by the palette's
    placeholder role, which each palette keeps readable — not a disabled label, whose grey is
    meant to be hard to read. A role, not a style sheet: it follows a change of appearance."""
    label = QLabel(text)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def narrow_as_text(button: QAbstractButton) -> None:
    """Let `button` shrink to its text's widest line and a margin: the styles give a push
    button with text at least 80 px (its size hint, kept where there is room), which on a
    small screen made a row of them the width of the whole column."""
    metrics = button.fontMetrics()
    widest = max(metrics.horizontalAdvance(line) for line in button.text().split("\n"))
    # The style's padding, asked of a content wider than the floor so the floor is not in it.
    wide = QSize(1000, metrics.height())
    option = QStyleOptionButton()
    option.initFrom(button)
    padded = button.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, wide)
    button.setMinimumWidth(widest + padded.width() - wide.width())
