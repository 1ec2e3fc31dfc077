"""The study's rubric questions in the judgment form, one row each, built from study.toml's
`[[questions]]` (core/rubric.py).

Keyboard: each question is one stop of Tab (and of Q / Shift+Q, ui/shortcuts.py), scrolled
into view when it takes the keyboard. On a likert, choice or multi question the digits act on
that question only — 1–9, and 0 for 10 — choosing a point or an option (a multi's digit
toggles its option); ← and → move along a scale or the options. Esc gives the keyboard back
to the candidate (ui/review/keyboard_focus.py). A text question is a line field, so typed
characters are its own.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.rubric import Answer, Question, QuestionType, RubricAnswer
from evalstudio.ui.labels import hint
from evalstudio.ui.palette import set_style
from evalstudio.ui.review.judgment_style import checked_style
from evalstudio.ui.review.keyboard_focus import LEAVES_ON_ESC, claims_shortcut

_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n or 10 for n in range(10)}
_MOVES = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}


def _focus_frame(palette: QPalette) -> str:
    """The question holding the keyboard is outlined in the palette's highlight."""
    mark = palette.color(QPalette.ColorRole.Highlight).name()
    return (
        "QFrame#question { border: 1px solid transparent; border-radius: 3px; }"
        f"QFrame#question:focus {{ border: 1px solid {mark}; }}"
    )


class _Choices(QFrame):
    """A likert, choice or multi question: buttons the mouse clicks, one keyboard stop."""

    changed = Signal()

    def __init__(self, question: Question) -> None:
        super().__init__()
        self.question = question
        self.setObjectName("question")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty(LEAVES_ON_ESC, True)
        self.setAccessibleName(question.prompt)
        set_style(self, _focus_frame)
        self.group = QButtonGroup(self)
        self.group.setExclusive(question.type is not QuestionType.MULTI)
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 1, 2, 1)
        if question.type is QuestionType.LIKERT:
            if question.anchors and len(question.anchors) == 2:
                row.addWidget(hint(question.anchors[0]))
            for point in range(1, question.scale + 1):
                button = QPushButton(str(point))
                button.setCheckable(True)
                set_style(button, checked_style)
                width = button.fontMetrics().horizontalAdvance("00")
                button.setFixedWidth(width + 16)
                button.setToolTip(question.anchor_of(point))
                self._add(button, point, row)
            if question.anchors and len(question.anchors) == 2:
                row.addWidget(hint(question.anchors[1]))
        else:
            kind = QCheckBox if question.type is QuestionType.MULTI else QRadioButton
            for n, option in enumerate(question.options, start=1):
                self._add(kind(f"{n % 10} {option}"), n, row)  # the digit that picks it
        row.addStretch()
        self.group.buttonToggled.connect(lambda *_: self.changed.emit())

    def _add(self, button: QAbstractButton, number: int, row: QHBoxLayout) -> None:
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the question is the stop, not each button
        self.group.addButton(button, number)
        row.addWidget(button)

    # -- the answer ---------------------------------------------------------------------------

    def value(self) -> Answer | None:
        q = self.question
        if q.type is QuestionType.MULTI:
            return tuple(o for n, o in enumerate(q.options, 1) if self.group.button(n).isChecked())
        chosen = self.group.checkedId()
        if chosen == -1:
            return None
        return chosen if q.type is QuestionType.LIKERT else q.options[chosen - 1]

    def set_value(self, value: Answer | None) -> None:
        q = self.question
        if q.type is QuestionType.LIKERT:
            chosen = {value} if isinstance(value, int) else set()
        elif q.type is QuestionType.CHOICE:
            chosen = {q.options.index(value) + 1} if value in q.options else set()
        else:
            picked = value if isinstance(value, tuple) else ()
            chosen = {n for n, o in enumerate(q.options, 1) if o in picked}
        self.group.blockSignals(True)
        exclusive = self.group.exclusive()
        self.group.setExclusive(False)  # an exclusive group refuses to uncheck its last button
        for button in self.group.buttons():
            button.setChecked(self.group.id(button) in chosen)
        self.group.setExclusive(exclusive)
        self.group.blockSignals(False)

    # -- keys ---------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Digits and arrows are this question's while it has the keyboard: the window's "3"
        # (quality 3) waits, as it does for a text field.
        return claims_shortcut(event, self._acts_on) or super().event(event)

    def _acts_on(self, event: QKeyEvent) -> bool:
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        return plain and (event.key() in _DIGITS or event.key() in _MOVES)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._acts_on(event):
            super().keyPressEvent(event)
            return
        count = len(self.group.buttons())
        if event.key() in _DIGITS:
            target = _DIGITS[Qt.Key(event.key())]
        else:
            current = self.group.checkedId()
            step = _MOVES[Qt.Key(event.key())]
            target = min(max((current if current != -1 else 0) + step, 1), count)
        button = self.group.button(target)
        if button is None:
            return
        if self.question.type is QuestionType.MULTI:
            if event.key() in _DIGITS:
                button.toggle()
        else:
            button.setChecked(True)


class _Text(QLineEdit):
    changed = Signal()

    def __init__(self, question: Question) -> None:
        super().__init__()
        self.question = question
        self.setMaxLength(question.max_length)
        self.setAccessibleName(question.prompt)
        self.setPlaceholderText(f"up to {question.max_length} characters (Esc to leave)")
        self.textChanged.connect(lambda *_: self.changed.emit())

    def value(self) -> Answer | None:
        return self.text() if self.text().strip() else None

    def set_value(self, value: Answer | None) -> None:
        text = value if isinstance(value, str) else ""
        if text != self.text():
            self.blockSignals(True)
            self.setText(text)
            self.blockSignals(False)


class RubricForm(QWidget):
    """The questions of the study, in its order; empty (and hidden) for a study without."""

    changed = Signal()
    focused = Signal(QWidget)  # a question took the keyboard, by Tab, Q or a click (scroll to it)

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Rubric questions")
        self.fields: list[_Choices | _Text] = []
        # Each prompt above its answers, both the form's full width: prompts are sentences
        # (a form layout's label column would wrap them after a few words).
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(1)

    def set_questions(self, questions: tuple[Question, ...]) -> None:
        while (item := self.rows.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()
        self.fields = []
        for number, question in enumerate(questions, start=1):
            field: _Choices | _Text = (
                _Text(question) if question.type is QuestionType.TEXT else _Choices(question)
            )
            field.changed.connect(self.changed.emit)
            field.installEventFilter(self)
            mark = " *" if question.required else ""
            label = QLabel(f"Q{number}  {question.prompt}{mark}")
            label.setWordWrap(True)
            label.setBuddy(field)
            label.setToolTip(
                "Q / Shift+Q: next / previous question"
                + ("; * required" if question.required else "")
            )
            self.rows.addWidget(label)
            self.rows.addWidget(field)
            self.rows.addSpacing(4)
            self.fields.append(field)
        self.rows.addStretch()

    def answers(self) -> tuple[RubricAnswer, ...]:
        found = []
        for field in self.fields:
            value = field.value()
            if value is not None:
                found.append(RubricAnswer(field.question.key, value))
        return tuple(found)

    def set_answers(self, answers: tuple[RubricAnswer, ...]) -> None:
        given = {a.key: a.value for a in answers}
        for field in self.fields:
            field.set_value(given.get(field.question.key))

    def focus_step(self, step: int) -> None:
        """The keyboard to the next (step 1) or previous (-1) question, round the list."""
        if not self.fields or not self.isVisible():
            return
        at = next((n for n, f in enumerate(self.fields) if f.hasFocus()), -1 if step > 0 else 0)
        self.fields[(at + step) % len(self.fields)].setFocus(Qt.FocusReason.ShortcutFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Whatever brings the keyboard to a question — Q, or a Tab from the rationale or back
        # from Submit, which no scroll area sees go by — it is scrolled into view.
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self.focused.emit(watched)
        return False
