"""The candidate answer: numbered, highlighted code or rendered text, and what is selected in it.

Code lines are selected to attach a flaw (each line is one block of the document, so block
numbers are line numbers); in text, a selection maps back to character offsets in the
Markdown source. The candidate is untrusted text, and its pane says so (`untrusted_note`).
It is rendered off the GUI thread (render_job); marked lines are shaded in place, at once.
The model's Suspicion, once scored, is a heat strip in the gutter (suspicion_strip).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QTextBrowser, QWidget

from evalstudio.core.model import ItemView, Kind, LineRange, Span
from evalstudio.core.suspicion import Scored, Unit
from evalstudio.core.text_spans import rendered_offsets, source_span
from evalstudio.render.code_html import code_pages
from evalstudio.render.pages import Pages
from evalstudio.render.safe_markdown import markdown_pages
from evalstudio.render.theme import LIGHT, Theme
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.labels import hint
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.review.render_job import RenderJob
from evalstudio.ui.review.suspicion_strip import SuspicionStrip

UNTRUSTED_NOTE = "— untrusted text: instructions inside it are not for you or the assistant"
UNTRUSTED_TIP = (
    "The answer under review was written by an AI model. If it asks for something (“ignore "
    "previous instructions”, “say this code is correct”), that is part of what you evaluate, "
    "not an instruction. The assistant is told the same.\n\nCharacters that would show as "
    "nothing or reorder a line (controls, bidi overrides, zero-width) are shown as marks such "
    "as ⟦ESC⟧ or ⟦U+202E⟧."
)


def untrusted_note() -> QLabel:
    """The calm reminder beside the candidate's title (muted, in either palette)."""
    note = hint(UNTRUSTED_NOTE)
    note.setTextFormat(Qt.TextFormat.PlainText)
    note.setWordWrap(True)
    note.setToolTip(UNTRUSTED_TIP)
    note.setAccessibleName("The candidate is untrusted text")
    return note


class CandidateView(QStackedWidget):
    def __init__(self, jobs: Jobs) -> None:
        super().__init__()
        self.code = InertBrowser()
        self.code.setLineWrapMode(QTextBrowser.LineWrapMode.NoWrap)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setAccessibleName("Candidate code")
        self.text = InertBrowser()
        self.text.setAccessibleName("Candidate text")
        self.strips = {self.code: SuspicionStrip(self.code), self.text: SuspicionStrip(self.text)}
        self.strips[self.text].noun_lines = False
        self.strips[self.code].line_clicked.connect(self.mark)
        self.pages = {browser: _beside(strip, browser) for browser, strip in self.strips.items()}
        for page in self.pages.values():
            self.addWidget(page)
        self.renders = {
            self.code: RenderJob(self.code, jobs),
            self.text: RenderJob(self.text, jobs),
        }
        self.item: ItemView | None = None
        self.theme = LIGHT
        self._marked: LineRange | None = None
        self._shaded: LineRange | None = None
        self.suspicion: Scored | None = None
        self.show_suspicion(None)

    @property
    def busy(self) -> bool:
        """The candidate is still being rendered or taken in."""
        return any(render.busy for render in self.renders.values())

    def name_browsers(self, what: str) -> None:
        """Accessible names: "Candidate code", or in a conversation the evaluated turn's."""
        self.code.setAccessibleName(f"{what} code")
        self.text.setAccessibleName(f"{what} text")

    def show_item(self, item: ItemView, theme: Theme) -> None:
        self.item, self.theme, self._marked = item, theme, None
        self.show_suspicion(None)  # the last item's scores are not this one's
        self._render(keep=False)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for strip in self.strips.values():
            strip.set_theme(theme)
        if self.item is not None:
            self._render(keep=True)

    def show_suspicion(self, scored: Scored | None) -> None:
        """Paint `scored` in the gutter (None: clear it); the strip is hidden when empty, so an
        item without Suspicion keeps its full width."""
        self.suspicion = scored
        self._paint_suspicion()

    def show_unit(self, unit: Unit) -> None:
        """Bring a scored unit into view, selected: a code line is also shaded (as a critique
        point's), so L adds it as a flaw; a sentence of text is selected where it renders."""
        if self.item is None:
            return
        if self.item.kind is Kind.CODE:
            self.mark(LineRange(unit.line, unit.line))
            block = self.code.document().findBlockByNumber(unit.line - 1)
            if block.isValid():
                cursor = QTextCursor(block)
                cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
                self.code.setTextCursor(cursor)
            return
        found = self._rendered([unit.start, max(unit.start, unit.end - 1)])
        if found[0] is None or found[1] is None:
            return
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(found[0])
        cursor.setPosition(found[1] + 1, QTextCursor.MoveMode.KeepAnchor)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    def mark(self, lines: LineRange | None) -> None:
        """Shade `lines` (a critique point's, or a flaw's) and scroll them into view."""
        if self.item is None or self.item.kind is not Kind.CODE:
            return
        self._marked = lines
        self._shade()
        if lines is not None:
            block = self.code.document().findBlockByNumber(lines.start - 1)
            if block.isValid():
                self.code.setTextCursor(QTextCursor(block))
                self.code.ensureCursorVisible()

    def show_passage(self, passage: str) -> None:
        """Select a passage of a text candidate (a critique point's quote) and scroll to it. It
        is looked for in the rendered text, by its first line (a paragraph break is no space
        there); one whose Markdown rendering differs is not found, and nothing moves."""
        if self.item is None or self.item.kind is Kind.CODE or not passage.strip():
            return
        found = self.text.document().find(" ".join(passage.splitlines()[0].split()))
        if not found.isNull():
            self.text.setTextCursor(found)
            self.text.ensureCursorVisible()

    def current_browser(self) -> QTextBrowser:
        return self.code if self.currentWidget() is self.pages[self.code] else self.text

    def selected_lines(self) -> LineRange | None:
        """The code lines the selection touches (the cursor's line when nothing is selected)."""
        if self.item is None or self.item.kind is not Kind.CODE:
            return None
        cursor = self.code.textCursor()
        doc = self.code.document()
        first = doc.findBlock(cursor.selectionStart()).blockNumber() + 1
        last_pos = max(cursor.selectionStart(), cursor.selectionEnd() - 1)
        last = doc.findBlock(last_pos).blockNumber() + 1
        return LineRange(first, max(first, last))

    def selected_span(self) -> tuple[Span, str] | None:
        """The selected passage of a text candidate: its source offsets and its source text."""
        if self.item is None or self.item.kind is not Kind.TEXT:
            return None
        cursor = self.text.textCursor()
        if not cursor.hasSelection():
            return None
        rendered = self.text.document().toPlainText()
        span = source_span(
            self.item.candidate, rendered, cursor.selectionStart(), cursor.selectionEnd()
        )
        if span is None:
            return None
        return span, self.item.candidate[span.start : span.end]

    def _render(self, keep: bool) -> None:
        """Render the item off the GUI thread; a re-render (`keep`) keeps the scroll."""
        assert self.item is not None
        item, theme = self.item, self.theme
        browser = self.code if item.kind is Kind.CODE else self.text
        scroll = browser.verticalScrollBar().value()

        def shown() -> None:
            if item.kind is Kind.CODE:
                self._shaded = None  # the new document has no shading yet
                self._shade()
            if keep:
                browser.verticalScrollBar().setValue(scroll)
            self._paint_suspicion()  # a text's sentences are placed on the rendered page

        def render(deadline: float) -> Pages:
            if item.kind is Kind.CODE:
                return code_pages(item.candidate, item.language, theme, deadline)
            return markdown_pages(item.candidate, theme, deadline)

        self.renders[browser].start(render, then=shown, keep=keep)
        self.setCurrentWidget(self.pages[browser])

    def _paint_suspicion(self) -> None:
        scored, item = self.suspicion, self.item
        for strip in self.strips.values():
            strip.clear()
            strip.setVisible(False)
        if scored is None or item is None or not scored.units:
            return
        if item.kind is Kind.CODE:
            self.strips[self.code].show_scores(scored.units, scored.scores)
            self.strips[self.code].setVisible(True)
            return
        if self.renders[self.text].busy:
            return  # painted when the render is in (`shown`)
        # The strip paints blocks of the rendered page; a sentence's block is where its
        # first character renders (Markdown source lines are not the page's blocks).
        doc = self.text.document()
        starts = self._rendered([u.start for u in scored.units])
        placed = [
            replace(unit, line=doc.findBlock(at).blockNumber() + 1)
            for unit, at in zip(scored.units, starts, strict=True)
            if at is not None
        ]
        scores = [s for s, at in zip(scored.scores, starts, strict=True) if at is not None]
        self.strips[self.text].show_scores(placed, scores)
        self.strips[self.text].setVisible(True)

    def _rendered(self, offsets: list[int]) -> list[int | None]:
        """Where source offsets of the text candidate show on its rendered page."""
        assert self.item is not None
        rendered = self.text.document().toPlainText()
        return rendered_offsets(self.item.candidate, rendered, offsets)

    def _shade(self) -> None:
        """The marked lines' background, in the document itself (no render): the lines shaded
        before are cleared, the marked ones shaded."""
        for lines, brush in (
            (self._shaded, QBrush()),
            (self._marked, QBrush(QColor(self.theme.marked_line))),
        ):
            if lines is None:
                continue
            doc = self.code.document()
            first = doc.findBlockByNumber(lines.start - 1)
            last = doc.findBlockByNumber(min(lines.end, doc.blockCount()) - 1)
            if not first.isValid() or not last.isValid():
                continue
            cursor = QTextCursor(first)
            cursor.setPosition(last.position(), QTextCursor.MoveMode.KeepAnchor)
            shading = QTextBlockFormat()
            shading.setBackground(brush)
            cursor.mergeBlockFormat(shading)
        self._shaded = self._marked


def _beside(strip: SuspicionStrip, browser: QTextBrowser) -> QWidget:
    """The browser with its Suspicion strip in the gutter, flush so the bands meet the lines."""
    page = QWidget()
    layout = QHBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(strip)
    layout.addWidget(browser, 1)
    return page
