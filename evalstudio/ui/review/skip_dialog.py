"""Skip an item: the reason, written in a box of a few lines; an empty one is refused in place.

The dialog stays open until there is a reason (the message under the box says what is
missing) or the evaluator cancels; Ctrl+Enter skips, Esc cancels.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from evalstudio.ui.palette import is_dark

REASON_LINES = 5  # room for a sentence or two without scrolling
EMPTY_REASON = "Write why you skip this item: the reason is stored with the skip."
ERROR_COLOURS = ("#c62828", "#ff7b72")  # light, dark: red that reads on either ground


class SkipDialog(QDialog):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skip this item")
        prompt = QLabel("Why are you skipping it? (Ctrl+Enter to skip)")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for skipping")
        self.reason.setPlaceholderText("e.g. I cannot judge code in this language")
        self.reason.setTabChangesFocus(True)
        lines = self.reason.fontMetrics().lineSpacing() * REASON_LINES
        frame = 2 * self.reason.frameWidth() + int(2 * self.reason.document().documentMargin())
        self.reason.setFixedHeight(lines + frame)
        prompt.setBuddy(self.reason)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        skip = buttons.button(QDialogButtonBox.StandardButton.Ok)
        skip.setText("Skip")
        self.skip_button = skip
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reason.installEventFilter(self)  # Ctrl+Enter in the box skips
        self.reason.textChanged.connect(self.problem.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.reason)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 72)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.reason
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.accept()
            return True
        return super().eventFilter(watched, event)

    def text(self) -> str:
        return self.reason.toPlainText().strip()

    def accept(self) -> None:
        """Skip, if there is a reason; else say so and stay open."""
        if not self.text():
            self.problem.setText(EMPTY_REASON)
            colour = ERROR_COLOURS[is_dark(self.palette())]
            self.problem.setStyleSheet(f"color: {colour};")
            self.problem.show()
            self.reason.setFocus()
            return
        super().accept()


def ask_reason(parent: QWidget) -> str | None:
    """The evaluator's reason for skipping, or None if they cancelled."""
    dialog = SkipDialog(parent)
    return dialog.text() if dialog.exec() == QDialog.DialogCode.Accepted else None
