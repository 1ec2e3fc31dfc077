"""Which of a compare item's two answers is better: the study's scale as a row of buttons.

The points run from "A much better" on the left to "B much better" on the right, as the answers
are placed on screen; the digits 1…N choose one (the window's digit keys, ui/review_actions.py).
What it yields is the `Ordering` the point means for the answers as shown (core/comparison.py).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.comparison import CompareScale, Ordering, ScalePoint, Side
from evalstudio.ui.labels import hint, narrow_as_text
from evalstudio.ui.palette import set_style
from evalstudio.ui.review.judgment_style import checked_style


class CompareForm(QWidget):
    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Which answer is better")
        self.scale = CompareScale()
        self.sides: tuple[Side, Side] | None = None
        self.points: tuple[ScalePoint, ...] = ()
        self.group = QButtonGroup(self)
        self.group.buttonToggled.connect(lambda *_: self.changed.emit())
        self.row = QHBoxLayout()
        self.row.setSpacing(4)
        self.meaning = hint()
        self.meaning.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.row)
        layout.addWidget(self.meaning)

    def set_item(self, sides: tuple[Side, ...], scale: CompareScale) -> None:
        """The item's two answers as shown, and the study's scale (buttons made anew if it is
        another scale); nothing chosen."""
        assert len(sides) == 2, "a compare item has two answers"
        self.sides = (sides[0], sides[1])
        if scale != self.scale or not self.points:
            self.scale, self.points = scale, scale.points()
            for button in self.group.buttons():
                self.group.removeButton(button)
                button.deleteLater()
            for point in self.points:
                self.row.addWidget(self._button(point))
            last = self.points[-1].key
            self.meaning.setText(f"1–{last} or click: which answer is better")
        self.set_ordering(None)

    def choose(self, key: int) -> None:
        button = self.group.button(key)
        if button is not None:
            button.setChecked(True)

    def chosen(self) -> ScalePoint | None:
        return next((p for p in self.points if p.key == self.group.checkedId()), None)

    def ordering(self) -> Ordering | None:
        point = self.chosen()
        if point is None or self.sides is None:
            return None
        return self.scale.ordering(point, self.sides)

    def set_ordering(self, ordering: Ordering | None) -> None:
        """Show a drafted or submitted ordering (one this scale has no point for: none)."""
        point = (
            self.scale.point_of(ordering, self.sides)
            if ordering is not None and self.sides is not None
            else None
        )
        self.group.blockSignals(True)
        self.group.setExclusive(False)  # an exclusive group refuses to uncheck its last button
        for button in self.group.buttons():
            button.setChecked(point is not None and self.group.id(button) == point.key)
        self.group.setExclusive(True)
        self.group.blockSignals(False)

    def _button(self, point: ScalePoint) -> QPushButton:
        # The key over its words, which wrap at the last space, and no wider than they are:
        # five points fit a column that leaves a compare item's answers the width at 1280×720.
        words = point.label.rsplit(" ", 1) if len(point.label) > 9 else [point.label]
        button = QPushButton(f"{point.key}\n" + "\n".join(words))
        narrow_as_text(button)
        button.setCheckable(True)
        # As tall as the row: a point of one line beside one of two is not a smaller button.
        button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        button.setAccessibleName(f"{point.key}: {point.label}")
        set_style(button, checked_style)
        self.group.addButton(button, point.key)
        return button
