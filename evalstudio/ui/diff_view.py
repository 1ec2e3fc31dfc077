"""A unified diff of a correct answer and its flawed twin, coloured: what a planted flaw
changed, as the pair editor shows it. Hidden characters are shown as marks: a change to an
invisible or reordering character must not look like no change."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

from evalstudio.core.perturbation import diff_text
from evalstudio.render.hidden_chars import CODE, reveal_plain
from evalstudio.render.theme import DARK, Theme

NO_CHANGE = "No change yet: edit the flawed twin to plant one flaw."


class DiffView(QPlainTextEdit):
    """Read-only; added lines green, removed lines red, hunk headers muted."""

    def __init__(self, theme: Theme) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setAccessibleName("Differences")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab goes to what the owner edits
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._colours = _DiffColours(self.document(), theme)

    def set_theme(self, theme: Theme) -> None:
        self._colours.setDocument(None)  # the old highlighter lets go of the text
        self._colours = _DiffColours(self.document(), theme)

    def show_diff(self, correct: str, flawed: str) -> None:
        # When neither answer ends its last line (most JSONL candidates), the diff is the same
        # with a line end and spares two "No newline at end of file" markers.
        if not correct.endswith("\n") and not flawed.endswith("\n"):
            correct, flawed = correct + "\n", flawed + "\n"
        self.setPlainText(reveal_plain(diff_text(correct, flawed), CODE) or NO_CHANGE)


class _DiffColours(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, theme: Theme) -> None:
        super().__init__(document)
        dark = theme is DARK
        self._formats: dict[str, QTextCharFormat] = {}
        for prefix, colour in (
            ("+", "#7ee787" if dark else "#116329"),
            ("-", "#ffa198" if dark else "#b31d28"),
            ("@", theme.line_number),
        ):
            text_format = QTextCharFormat()
            text_format.setForeground(QColor(colour))
            self._formats[prefix] = text_format

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("+++", "---")):  # the file names, not changed lines
            return
        text_format = self._formats.get(text[:1])
        if text_format is not None:
            self.setFormat(0, len(text), text_format)
