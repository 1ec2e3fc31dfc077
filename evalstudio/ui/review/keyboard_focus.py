"""Where the keyboard is in the review view: Esc leaves a text field for the candidate, and
the focus never falls into a text field the evaluator did not choose.

Single keys (J, F, 4…) act only when the focus is not in a text field, so a field that keeps
the focus traps the keyboard. Two ways out, both owned here:

- Esc in any text field of the review view (chat, rationale, a flaw's description, the Run
  input, a rubric question's text) or on a rubric question that takes digits (a widget with
  the property `leaves_on_esc`) gives the focus back to the candidate; the window's Esc
  (stop the response) waits for a second press. A description being edited is kept:
  leaving the cell commits it.
- When the widget holding the focus is hidden or disabled (a regenerated critique hides its
  points, a new item resets the form), Qt hands the focus to the next widget in the Tab order,
  which may be the chat box. Then the candidate takes it instead. A Tab the evaluator presses
  always leaves a widget that is visible and enabled, so it is never redirected.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

_KEY_EVENTS = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
# A widget property: a widget that takes keys of its own (a rubric question's digits) and
# gives the keyboard back on Esc as a text field does.
LEAVES_ON_ESC = "leaves_on_esc"


def claims_shortcut(event: QEvent, acts_on: Callable[[QKeyEvent], bool]) -> bool:
    """Whether a widget with keys of its own takes this key before the window's shortcuts
    do (as a text field takes typed characters): accepted as a ShortcutOverride, the key
    then comes to the widget's keyPressEvent. A widget's `event` returns True when it does."""
    if (
        event.type() == QEvent.Type.ShortcutOverride
        and isinstance(event, QKeyEvent)
        and acts_on(event)
    ):
        event.accept()
        return True
    return False


def is_text_field(widget: QObject | None) -> bool:
    """Whether typed characters go into `widget` (so single-key shortcuts do not act there)."""
    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        return True
    return isinstance(widget, (QPlainTextEdit, QTextEdit)) and not widget.isReadOnly()


class FocusKeeper(QObject):
    """Watches the keyboard focus inside `root`; `home()` puts it where single keys act."""

    def __init__(self, root: QWidget, home: Callable[[], None]) -> None:
        super().__init__(root)  # deleted with the view, which removes the filter too
        self.root = root
        self.home = home
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        # On the application, not per field: fields made later (a table cell's editor) are
        # covered, and it runs before the window's Esc shortcut is matched.
        app.installEventFilter(self)
        app.focusChanged.connect(self._focus_changed)

    def inside(self, widget: QObject | None) -> bool:
        return isinstance(widget, QWidget) and (
            widget is self.root or self.root.isAncestorOf(widget)
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() not in _KEY_EVENTS
            or not isinstance(event, QKeyEvent)
            or event.key() != Qt.Key.Key_Escape
            or event.modifiers() != Qt.KeyboardModifier.NoModifier
            or not (is_text_field(watched) or watched.property(LEAVES_ON_ESC) is True)
            or not self.inside(watched)
        ):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # the field takes this Esc: the window's Esc shortcut waits
            return True
        self.home()
        return True

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if not is_text_field(new) or not self.inside(new) or old is None:
            return
        # From a widget deleted, hidden or disabled, Qt moved the focus on, not the evaluator.
        gone = not shiboken6.isValid(old) or (
            self.inside(old) and not (old.isVisible() and old.isEnabled())
        )
        if gone:
            self.home()
