"""The answers of a compare or rank item, each rendered like a single candidate.

A compare item shows its two answers side by side, A on the left; a rank item shows one answer
at a time under a tab bar (A, B, C…), since three to nine answers side by side would leave each
too narrow to read at 1280×720. Every pane is named by its letter in words ("Answer A"), not
by a colour; a rank item's tabs also say where the answer stands in the evaluator's order.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QTabBar, QTextBrowser, QVBoxLayout, QWidget

from evalstudio.core.comparison import MAX_SIDES, SIDE_LETTERS, Layout, Side
from evalstudio.core.model import ItemView
from evalstudio.render.theme import Theme
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.labels import titled
from evalstudio.ui.review.candidate_view import CandidateView


def side_name(index: int) -> str:
    return f"Answer {SIDE_LETTERS[index]}"


class SidesView(QWidget):
    shown_changed = Signal(int)  # a rank item's answer on screen (its side index)

    def __init__(self, jobs: Jobs) -> None:
        super().__init__()
        self.layout_ = Layout.COMPARE
        self.sides: tuple[Side, ...] = ()
        self.views = [CandidateView(jobs) for _ in range(MAX_SIDES)]
        self.titles = [QLabel(side_name(i)) for i in range(MAX_SIDES)]
        self.panes = [
            titled(title, view, margin=2)
            for title, view in zip(self.titles, self.views, strict=True)
        ]
        self.tabs = QTabBar()
        self.tabs.setAccessibleName("Answers")
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)  # the base line is a bright rule across a dark palette
        self.tabs.currentChanged.connect(self._tab_chosen)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for pane in self.panes:
            pane.setVisible(False)  # nine side by side would ask the window for their width
            self.splitter.addWidget(pane)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.tabs)
        layout.addWidget(self.splitter, 1)

    def show_item(self, item: ItemView, theme: Theme) -> None:
        """Render the item's answers, in the order this evaluator sees them."""
        self.layout_, self.sides = item.layout, item.sides
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        if item.layout is Layout.RANK:
            for index in range(len(item.sides)):
                self.tabs.addTab(SIDE_LETTERS[index])
            self.tabs.setCurrentIndex(0)
        self.tabs.blockSignals(False)
        self.tabs.setVisible(item.layout is Layout.RANK)
        for index, view in enumerate(self.views):
            if index < len(item.sides):
                side = item.sides[index]
                view.name_browsers(side_name(index))
                view.show_item(_as_single(item, side), theme)
        self.show_side(0)
        if item.layout is Layout.COMPARE:
            half = max(1, self.splitter.width() // 2)
            self.splitter.setSizes([half, half] + [0] * (MAX_SIDES - 2))

    def show_side(self, index: int) -> None:
        """Bring answer `index` on screen (a compare item shows both of its always)."""
        if not 0 <= index < len(self.sides):
            return
        for i, pane in enumerate(self.panes):
            on = i < len(self.sides) and (self.layout_ is Layout.COMPARE or i == index)
            pane.setVisible(on)
        if self.layout_ is Layout.RANK:
            self.tabs.setCurrentIndex(index)

    def step(self, delta: int) -> None:
        """Show the next (or previous) answer of a rank item, round the end."""
        if self.layout_ is Layout.RANK and self.sides:
            self.show_side((self.tabs.currentIndex() + delta) % len(self.sides))

    def shown(self) -> int:
        return self.tabs.currentIndex() if self.layout_ is Layout.RANK else 0

    def set_ranks(self, order: list[int]) -> None:
        """Say on each rank tab where its answer stands in the order ("C · 1st")."""
        for index in range(self.tabs.count()):
            letter = SIDE_LETTERS[index]
            text = f"{letter} · {_ordinal(order.index(index) + 1)}" if index in order else letter
            self.tabs.setTabText(index, text)

    def current_browser(self) -> QTextBrowser:
        return self.views[self.shown()].current_browser()

    def set_theme(self, theme: Theme) -> None:
        for index, view in enumerate(self.views):
            if index < len(self.sides):
                view.set_theme(theme)

    def _tab_chosen(self, index: int) -> None:
        if index >= 0:
            self.show_side(index)
            self.shown_changed.emit(index)


def _as_single(item: ItemView, side: Side) -> ItemView:
    """One answer of the item as the candidate view renders a single candidate."""
    return ItemView(
        item_id=item.item_id,
        position=item.position,
        task_prompt=item.task_prompt,
        kind=item.kind,
        language=item.language,
        candidate=side.text,
    )


def _ordinal(n: int) -> str:
    return f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"
