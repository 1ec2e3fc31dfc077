"""The evaluator's queue: one row per item — a mark for where it stands, its number, its title.

Marks are glyphs, not colours, so they read in either palette and to an evaluator who cannot
tell colours apart: ✓ judged, ↷ skipped, ✎ draft (started, not submitted), · not started, and
▶ before the item on screen. A row's tooltip gives the task's first paragraph (the row cuts
a long title) and the state in words; the legend sits under the list, and its tooltip says
the same at length.
"""

from __future__ import annotations

import html
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from evalstudio.render.hidden_chars import TEXT, reveal_plain
from evalstudio.services.review.session import QueueEntry
from evalstudio.ui.labels import hint


class Mark(Enum):
    """Where an item stands for the evaluator: (glyph, words)."""

    OPEN = ("·", "not started")
    DRAFT = ("✎", "draft: started, not submitted")
    JUDGED = ("✓", "judged")
    SKIPPED = ("↷", "skipped")

    @property
    def glyph(self) -> str:
        return self.value[0]

    @property
    def words(self) -> str:
        return self.value[1]


CURRENT = "▶"
# Every mark in words (the cheat sheet lists them).
MARK_LEGEND = (*(f"{mark.glyph} {mark.words}" for mark in Mark), f"{CURRENT} the item on screen")
LEGEND = "✓ judged   ↷ skipped\n✎ draft   ▶ on screen"  # two lines: fits the narrowest queue
SUMMARY_CHARS = 300  # of the task's first paragraph, in a row's tooltip
TIP_WIDTH = 360  # px: a tooltip wraps at this width, not at Qt's narrow default
LEGEND_TIP = (
    "Marks in the queue:\n"
    + "\n".join(MARK_LEGEND)
    + "\n\nHover an item for its task and where it stands. "
    "J / K: next / previous item; Shift+J: next item not done."
)


def mark_of(item_id: str, judged: set[str], skipped: set[str], drafted: set[str]) -> Mark:
    """An item's mark: a skip or judgment stands, else a draft, else not started."""
    if item_id in skipped:
        return Mark.SKIPPED
    if item_id in judged:
        return Mark.JUDGED
    return Mark.DRAFT if item_id in drafted else Mark.OPEN


def with_legend(queue: QueueList) -> QWidget:
    """The queue with the legend of its marks under it."""
    pane = QWidget()
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(queue, 1)
    layout.addWidget(legend())
    pane.setFocusProxy(queue)  # the title's buddy: its mnemonic focuses the list
    return pane


def legend() -> QLabel:
    """The marks in one line, muted."""
    label = hint(LEGEND)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setToolTip(LEGEND_TIP)
    label.setAccessibleName("Queue marks")
    return label


def title_of(entry: QueueEntry) -> str:
    """An item's title: the first line of its task, without Markdown's marks."""
    lines = entry.item.task_prompt.strip().splitlines()
    return _plain(lines[0]) if lines else ""


def summary_of(entry: QueueEntry) -> str:
    """The task's first paragraph on one line (cut at SUMMARY_CHARS), for a row's tooltip."""
    paragraph = " ".join(entry.item.task_prompt.strip().split("\n\n")[0].split())
    cut = len(paragraph) > SUMMARY_CHARS
    return _plain(paragraph[:SUMMARY_CHARS]) + ("…" if cut else "")


def _plain(markdown: str) -> str:
    text = markdown.lstrip("# ").replace("`", "").replace("**", "")
    return reveal_plain(text, TEXT)  # a bidi override must not reorder the row


class QueueList(QListWidget):
    """The rows of the queue; the review view says which is on screen and how each stands."""

    def __init__(self, queue: list[QueueEntry], marks: list[Mark]) -> None:
        super().__init__()
        self.setAccessibleName("Your items")
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # One-line rows: without this, selecting a row of a 10,000-item queue measures every
        # row first (36 ms a submit).
        self.setUniformItemSizes(True)
        self._titles = [title_of(entry) for entry in queue]
        self._summaries = [summary_of(entry) for entry in queue]
        self._marks = list(marks)
        self._current = -1
        for row in range(len(queue)):
            self.addItem(QListWidgetItem())
            self._show(row)

    def mark(self, row: int) -> Mark:
        return self._marks[row]

    def set_mark(self, row: int, mark: Mark) -> None:
        if self._marks[row] is not mark:
            self._marks[row] = mark
            self._show(row)

    def set_current(self, row: int) -> None:
        """Mark and select the row on screen (without emitting a row change)."""
        previous, self._current = self._current, row
        if 0 <= previous < self.count():
            self._show(previous)
        self._show(row)
        self.blockSignals(True)
        self.setCurrentRow(row)
        self.blockSignals(False)

    def _show(self, row: int) -> None:
        """The evaluator's own numbering: the study's positions would hint at which items pair."""
        mark, title = self._marks[row], self._titles[row]
        here = CURRENT if row == self._current else " "
        item = self.item(row)
        item.setText(f"{here}{mark.glyph} {row + 1:>3}. {title}")
        now = "; on screen" if row == self._current else ""
        # Rich text, escaped: it wraps a long task, and the task's own markup stays text.
        state = html.escape(f"{mark.glyph} {mark.words.capitalize()}{now}")
        summary = html.escape(f"{row + 1}. {self._summaries[row]}")
        item.setToolTip(
            f'<table width="{TIP_WIDTH}"><tr><td>{summary}<br><b>{state}</b></td></tr></table>'
        )
