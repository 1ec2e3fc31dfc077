"""A rank item's order of its answers, best first, built one pick at a time.

Keyboard: a digit (the window's key, ui/review_actions.py) or, while the order list has the
keyboard, an answer's letter picks the best remaining answer (it joins the end of the order);
Backspace takes the last pick back; Alt+↑/↓ move the chosen entry; ← → show the previous or
next answer. The mouse: an answer's button picks it, and entries are dragged within the list.
No ties: the order is complete once every answer is in it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.comparison import SIDE_LETTERS, Ordering, Side
from evalstudio.ui.labels import hint
from evalstudio.ui.review.keyboard_focus import claims_shortcut

_LETTERS = {getattr(Qt.Key, f"Key_{letter}"): i for i, letter in enumerate(SIDE_LETTERS)}
_MOVES = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}
_SHOW = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}
PREVIEW_CHARS = 48  # of an answer's first line, in its entry


class _OrderList(QListWidget):
    """The order so far; takes its letters, Backspace and Alt+arrows before the window's
    shortcuts do (as a text field takes typed characters), so A picks answer A here."""

    def __init__(self, form: RankForm) -> None:
        super().__init__()
        self.form = form

    def event(self, event: QEvent) -> bool:
        return claims_shortcut(event, self._acts_on) or super().event(event)

    def _acts_on(self, event: QKeyEvent) -> bool:
        key, modifiers = event.key(), event.modifiers()
        if modifiers == Qt.KeyboardModifier.AltModifier:
            return key in _MOVES
        plain = modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        return plain and (
            _LETTERS.get(key, len(SIDE_LETTERS)) < len(self.form.sides)
            or key in _SHOW
            or key == Qt.Key.Key_Backspace
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._acts_on(event):
            super().keyPressEvent(event)
            return
        key = Qt.Key(event.key())
        if event.modifiers() == Qt.KeyboardModifier.AltModifier:
            self.form.move_entry(_MOVES[key])
        elif key in _SHOW:
            self.form.show_step.emit(_SHOW[key])
        elif key == Qt.Key.Key_Backspace:
            self.form.take_back()
        else:
            self.form.pick(_LETTERS[key])


class RankForm(QWidget):
    changed = Signal()
    show_side = Signal(int)  # the evaluator chose an answer in the order: show it
    show_step = Signal(int)  # ← →: show the previous or next answer

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Your ranking")
        self.sides: tuple[Side, ...] = ()
        self.order: list[int] = []  # side indices, best first

        self.list = _OrderList(self)
        self.list.setAccessibleName("Your order, best first")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.model().rowsMoved.connect(self._dragged)
        self.list.currentRowChanged.connect(self._entry_chosen)
        # An entry too long for the column is cut with "…" (its tooltip has the answer), never
        # scrolled sideways.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.remaining_label = QLabel("Not ranked yet:")
        self.buttons: list[QPushButton] = []
        self.pick_row = QHBoxLayout()
        self.pick_row.setSpacing(4)
        self.pick_row.addWidget(self.remaining_label)
        for index, letter in enumerate(SIDE_LETTERS):
            button = QPushButton(letter)
            button.setAccessibleName(f"Rank answer {letter} next")
            button.setMaximumWidth(button.fontMetrics().horizontalAdvance("MM") * 2)
            button.clicked.connect(lambda _=False, i=index: self.pick(i))
            self.buttons.append(button)
            self.pick_row.addWidget(button)
        self.pick_row.addStretch()
        self.keys = hint()
        self.keys.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.pick_row)
        layout.addWidget(self.list)
        layout.addWidget(self.keys)
        # Its own height, no more: the form layout would share the column's spare height out.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def set_item(self, sides: tuple[Side, ...]) -> None:
        """The item's answers as shown; nothing ranked yet."""
        self.sides = sides
        last = SIDE_LETTERS[len(sides) - 1]
        # As tall as the whole order: no scrolling, and no empty rows taken from the rationale.
        row = self.list.fontMetrics().height() + 6
        self.list.setFixedHeight(len(sides) * row + 2 * self.list.frameWidth() + 4)
        self.keys.setText(
            f"Best first: press A–{last} (or 1–{len(sides)}) for the best remaining answer · "
            "drag or Alt+↑/↓ to move · Backspace takes the last back · ← → show another"
        )
        self.set_ordering(None)

    def pick(self, index: int) -> None:
        """Put answer `index` next in the order (one already in it stays where it is)."""
        if 0 <= index < len(self.sides) and index not in self.order:
            self.order.append(index)
            self._refill(current=len(self.order) - 1)
            self.changed.emit()

    def take_back(self) -> None:
        if self.order:
            self.order.pop()
            self._refill(current=len(self.order) - 1)
            self.changed.emit()

    def move_entry(self, delta: int) -> None:
        """Move the chosen entry up (-1) or down (+1) in the order."""
        row = self.list.currentRow()
        to = row + delta
        if 0 <= row < len(self.order) and 0 <= to < len(self.order):
            self.order.insert(to, self.order.pop(row))
            self._refill(current=to)
            self.changed.emit()

    def ordering(self) -> Ordering | None:
        """The order so far (a partial one too, so a draft keeps it; the submit's check
        says what is missing); None before the first pick."""
        if not self.order:
            return None
        return Ordering(tuple((self.sides[i].candidate_id,) for i in self.order))

    def set_ordering(self, ordering: Ordering | None) -> None:
        """Show a drafted or submitted order (ids not of this item's answers are left out)."""
        ids = [side.candidate_id for side in self.sides]
        given = ordering.candidates if ordering is not None else ()
        self.order = [ids.index(c) for c in dict.fromkeys(given) if c in ids]
        self._refill(current=-1)

    def _refill(self, current: int) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for rank, index in enumerate(self.order, start=1):
            entry = QListWidgetItem(self._entry_text(rank, index))
            entry.setData(Qt.ItemDataRole.UserRole, index)
            entry.setToolTip(self.sides[index].text[:500])
            self.list.addItem(entry)
        self.list.setCurrentRow(current)
        self.list.blockSignals(False)
        for index, button in enumerate(self.buttons):
            button.setVisible(index < len(self.sides) and index not in self.order)
        self.remaining_label.setText(
            "Not ranked yet:" if len(self.order) < len(self.sides) else "All ranked."
        )

    def _entry_text(self, rank: int, index: int) -> str:
        first = next((ln.strip() for ln in self.sides[index].text.splitlines() if ln.strip()), "")
        if len(first) > PREVIEW_CHARS:
            first = first[: PREVIEW_CHARS - 1] + "…"
        return f"{rank}.  Answer {SIDE_LETTERS[index]}   {first}"

    def _dragged(self, *_: QModelIndex | int) -> None:
        """A drop moved an entry: the list's new order is the order."""
        self.order = [
            int(self.list.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(self.list.count())
        ]
        for rank, index in enumerate(self.order, start=1):
            self.list.item(rank - 1).setText(self._entry_text(rank, index))
        self.changed.emit()

    def _entry_chosen(self, row: int) -> None:
        if 0 <= row < len(self.order):
            self.show_side.emit(self.order[row])
