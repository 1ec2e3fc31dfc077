"""One record's flawed twin as the study owner writes it: the task, the correct answer, the
editable copy, the live diff, where the flaw is, how bad, what it is, and the pair's test.

The form only shows and collects; the pair editor (ui/pair_editor.py) runs the jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.model import Kind, LineRange, Severity, Span
from evalstudio.core.perturbation import changed_lines, changed_span
from evalstudio.core.task_records import TaskRecord
from evalstudio.render.code_html import code_to_html
from evalstudio.render.hidden_chars import TEXT, reveal_plain
from evalstudio.render.safe_markdown import markdown_to_html
from evalstudio.render.theme import Theme
from evalstudio.services.studies.perturbation import FlawSuggestion
from evalstudio.ui.diff_view import DiffView
from evalstudio.ui.labels import titled
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.palette import current_theme, palette_changes

DIFF_DELAY_MS = 200  # the diff follows typing without recomputing it on every key


@dataclass(frozen=True)
class TwinDraft:
    """What the owner has written: the flawed twin and its flaw, and the pair's test."""

    flawed: str
    description: str
    severity: Severity
    lines: LineRange | None  # code
    span: Span | None  # text
    test: str | None


class PairForm(QWidget):
    """The chosen record: editable when it can get a twin, read-only when it is a pair."""

    def __init__(self, theme: Theme) -> None:
        super().__init__()
        self.theme = theme
        self.record: TaskRecord | None = None
        self.editable = False
        self._start: TwinDraft | None = None
        self._filling = False  # the form sets the place itself: not the owner's choice
        self._place_by_hand = False  # the owner set the flaw's place: edits keep it

        self.prompt = _browser("Task prompt")
        self.correct = _browser("Correct answer")
        self.flawed = QPlainTextEdit()
        self.flawed.setAccessibleName("Flawed twin")
        # Tab moves on: a tab character typed into indented code would be a change of its own.
        self.flawed.setTabChangesFocus(True)
        self.diff = DiffView(theme)
        self.test = QPlainTextEdit()
        self.test.setAccessibleName("Pair test")
        self.test.setTabChangesFocus(True)
        self.test.setPlaceholderText(
            "def test_example():\n    assert function_under_test(...) == ...\n\n"
            "The candidate's code runs first; the correct twin must pass, the flawed one fail."
        )
        self._fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.test.setFont(self._fixed)

        self.place_label = QLabel()
        self.place_start = QSpinBox()
        self.place_end = QSpinBox()
        self.place_start.setAccessibleName("Flaw starts at")
        self.place_end.setAccessibleName("Flaw ends at")
        self.severity = QComboBox()
        self.severity.setAccessibleName("Severity")
        for severity in Severity:
            self.severity.addItem(severity.value, severity)
        self.description = QLineEdit()
        self.description.setAccessibleName("Flaw description")
        self.description.setPlaceholderText("What is wrong in the flawed twin, and why")

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DIFF_DELAY_MS)
        self._timer.timeout.connect(self._refresh)
        self.flawed.textChanged.connect(self._timer.start)
        self.place_start.valueChanged.connect(self._place_edited)
        self.place_end.valueChanged.connect(self._place_edited)
        self._layout()
        self.setEnabled(False)
        palette_changes().changed.connect(self._follow_palette)

    def _layout(self) -> None:
        answers = QSplitter(Qt.Orientation.Horizontal)
        answers.addWidget(titled("Correct answer", self.correct))
        self.flawed_title = QLabel()
        answers.addWidget(titled(self.flawed_title, self.flawed))
        self.test_box = titled("Pair test", self.test)
        checks = QSplitter(Qt.Orientation.Horizontal)
        checks.addWidget(titled("Differences", self.diff))
        checks.addWidget(self.test_box)
        parts = QSplitter(Qt.Orientation.Vertical)
        parts.addWidget(titled("Task", self.prompt))
        parts.addWidget(answers)
        parts.addWidget(checks)
        parts.setStretchFactor(0, 1)
        parts.setStretchFactor(1, 4)
        parts.setStretchFactor(2, 2)
        parts.setChildrenCollapsible(False)
        place = QHBoxLayout()
        for widget in (self.place_start, QLabel("to"), self.place_end):
            place.addWidget(widget)
        place.addSpacing(16)
        severity = QLabel("Severity")
        severity.setBuddy(self.severity)
        place.addWidget(severity)
        place.addWidget(self.severity)
        place.addStretch()
        flaw = QFormLayout()
        flaw.addRow(self.place_label, place)
        flaw.addRow("Description", self.description)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(parts, 1)
        layout.addLayout(flaw)

    def show_record(self, record: TaskRecord) -> None:
        """A record without a twin: its copy is the flawed twin to write."""
        # A conversation's twin is written by hand (pair_authoring refuses it).
        self._show(record, record.candidate, record.test, editable=record.conversation is None)
        self._set_flaw("", Severity.MAJOR, None, None)
        self._start = self.draft()

    def show_pair(self, correct: TaskRecord, flawed: TaskRecord) -> None:
        """A pair in the file, read-only: both twins, the planted flaw and the test."""
        self._show(correct, flawed.candidate, correct.test or flawed.test, editable=False)
        flaw = flawed.flaw
        if flaw is not None:
            self._set_flaw(flaw.description, flaw.severity, flaw.lines, flaw.span)
        self._start = self.draft()

    def apply_suggestion(self, suggestion: FlawSuggestion) -> None:
        """Fill in the model's flawed twin, description and severity, for the owner to check."""
        self._place_by_hand = False
        self.flawed.setPlainText(suggestion.flawed)
        self.description.setText(suggestion.description)
        self.description.setCursorPosition(0)  # show how the description starts
        self.severity.setCurrentIndex(self.severity.findData(suggestion.severity))
        self._refresh()

    def mark_saved(self) -> None:
        """What is shown now is in the file: nothing to ask about when leaving it."""
        self._start = self.draft()

    @property
    def dirty(self) -> bool:
        """The owner wrote something that is not saved."""
        return self.editable and self._start is not None and self.draft() != self._start

    def draft(self) -> TwinDraft:
        if self._timer.isActive():  # saved or tested right after typing: place it first
            self._refresh()
        code = self.record is not None and self.record.kind is Kind.CODE
        start, end = self.place_start.value(), self.place_end.value()
        lines = LineRange(start, max(start, end)) if code else None
        span = Span(start, max(start + 1, end)) if not code else None
        test = self.test.toPlainText()
        return TwinDraft(
            self.flawed_text(),
            self.description.text().strip(),
            Severity(self.severity.currentData()),
            lines,
            span,
            test if code and test.strip() else None,
        )

    def flawed_text(self) -> str:
        """The editable copy as typed (no-break spaces kept, line ends as the correct one's)."""
        text = self.flawed.document().toRawText().replace("\u2029", "\n")
        if self.record is not None and _crlf_only(self.record.candidate):
            text = text.replace("\n", "\r\n")  # the editor keeps no \r; the correct twin had it
        return text

    def _follow_palette(self) -> None:
        """Draw the shown pair again in the app's colours (light and dark switched live)."""
        self.theme = current_theme()
        self.diff.set_theme(self.theme)
        record = self.record
        if record is None:
            return
        self.prompt.setHtml(markdown_to_html(record.prompt, self.theme))
        if record.kind is Kind.CODE:
            self.correct.setHtml(code_to_html(record.candidate, record.language, None, self.theme))
        self._mark_place()

    def _show(self, record: TaskRecord, flawed: str, test: str | None, *, editable: bool) -> None:
        self.record, self.editable, self._place_by_hand = record, editable, False
        code = record.kind is Kind.CODE
        self._filling = True
        self.prompt.setHtml(markdown_to_html(record.prompt, self.theme))
        if code:
            self.correct.setHtml(code_to_html(record.candidate, record.language, None, self.theme))
        else:  # the Markdown source (flaw spans count its characters), hidden ones as marks
            self.correct.setPlainText(reveal_plain(record.candidate, TEXT))
        # Code keeps its lines and columns; a paragraph of text is one long line, so it wraps.
        self.correct.setLineWrapMode(
            QTextBrowser.LineWrapMode.NoWrap if code else QTextBrowser.LineWrapMode.WidgetWidth
        )
        wrap = QPlainTextEdit.LineWrapMode
        for edit in (self.flawed, self.diff):
            edit.setLineWrapMode(wrap.NoWrap if code else wrap.WidgetWidth)
        for view in (self.correct, self.flawed):
            view.setFont(self._fixed if code else self.font())
        self.flawed.setPlainText(flawed)
        self.test.setPlainText(test or "")
        self.test_box.setVisible(code)
        self.place_label.setText("Flaw lines" if code else "Flaw characters")
        self.place_label.setToolTip(
            "Lines of the flawed twin (1-based, inclusive)"
            if code
            else "Characters of the flawed twin's Markdown source: from the first (0-based) "
            "to just after the last"
        )
        self.flawed_title.setText(
            "Flawed twin — edit this copy"
            if editable
            else "Flawed twin (saved; read-only)"
            if record.conversation is None
            else "A conversation's flawed twin is written in the file by hand (read-only here)"
        )
        for widget in (self.flawed, self.test):
            widget.setReadOnly(not editable)
        for control in (self.place_start, self.place_end, self.severity, self.description):
            control.setEnabled(editable)
        self.setEnabled(True)
        self._filling = False
        self._refresh()

    def _set_flaw(
        self, description: str, severity: Severity, lines: LineRange | None, span: Span | None
    ) -> None:
        self._filling = True
        self.description.setText(description)
        self.description.setCursorPosition(0)
        self.severity.setCurrentIndex(self.severity.findData(severity))
        place = (lines.start, lines.end) if lines else (span.start, span.end) if span else None
        if place is not None:
            self._place_by_hand = True  # the saved place, not one derived from the diff
            self.place_start.setValue(place[0])
            self.place_end.setValue(place[1])
        self._filling = False
        self._mark_place()

    def _place_edited(self) -> None:
        if not self._filling:
            self._place_by_hand = True
            self._mark_place()

    def _refresh(self) -> None:
        """Recompute the diff and, unless the owner set it, where the flaw is."""
        self._timer.stop()
        if self.record is None:
            return
        correct, flawed = self.record.candidate, self.flawed_text()
        self.diff.show_diff(correct, flawed)
        code = self.record.kind is Kind.CODE
        self._filling = True
        # Ranges first, so that an auto-filled value is never clamped by the previous text's.
        if code:  # lines, 1-based and inclusive
            last = max(1, len(flawed.splitlines()))
            self.place_start.setRange(1, last)
            self.place_end.setRange(1, last)
        else:  # characters, [start, end)
            size = max(1, len(flawed))
            self.place_start.setRange(0, size - 1)
            self.place_end.setRange(1, size)
        if not self._place_by_hand:
            place = changed_lines(correct, flawed) if code else changed_span(correct, flawed)
            self.place_start.setValue(place.start if place else self.place_start.minimum())
            self.place_end.setValue(place.end if place else self.place_end.minimum())
        self._filling = False
        self._mark_place()

    def _mark_place(self) -> None:
        """Shade the flaw's place in the flawed twin, so the numbers can be checked by eye."""
        if self.record is None:
            return
        draft = self.draft()
        mark = QTextEdit.ExtraSelection()
        mark.format.setBackground(QColor(self.theme.marked_line))
        cursor = QTextCursor(self.flawed.document())
        if draft.lines is not None:
            mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            first = self.flawed.document().findBlockByNumber(draft.lines.start - 1)
            last = self.flawed.document().findBlockByNumber(draft.lines.end - 1)
            cursor.setPosition(first.position())
            if last.isValid():
                end = last.position() + max(0, last.length() - 1)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        elif draft.span is not None:
            text = self.flawed.document().toRawText()
            cursor.setPosition(_utf16(text, draft.span.start))
            end = min(_utf16(text, draft.span.end), self.flawed.document().characterCount() - 1)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        mark.cursor = cursor
        self.flawed.setExtraSelections([mark])


def _browser(name: str) -> InertBrowser:
    view = InertBrowser()
    view.setAccessibleName(name)
    view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab goes to what the owner edits
    return view


def _crlf_only(text: str) -> bool:
    return "\r\n" in text and "\n" not in text.replace("\r\n", "")


def _utf16(text: str, index: int) -> int:
    """A code-point offset as the UTF-16 position Qt's documents count in."""
    return len(text[:index].encode("utf-16-le")) // 2
