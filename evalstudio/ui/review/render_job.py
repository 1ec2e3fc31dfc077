"""A view's HTML, made off the GUI thread and taken in a page at a time.

Formatting (Python-Markdown, Pygments) runs on the DATA lane, queued before the opened item's
read, so an item's panes are filled by the time its state arrives. It has a deadline
(FORMAT_BUDGET): past it the renderer shows the text plain, so the lane is never held long.
Qt takes the pages in on the GUI thread, as many as fit in STEP_SECONDS an event-loop turn:
a million lines of code take it some 25 s, none of them in one piece. A render replaced by a
newer one (another item, another theme) is dropped, whether it arrives or is half taken in.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFontDatabase, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser
from shiboken6 import isValid

from evalstudio.render.pages import Pages
from evalstudio.ui.jobs import Jobs, Lane

FORMAT_BUDGET = 0.5  # seconds of formatting before a text is shown plain
STEP_SECONDS = 0.008  # Qt's work an event-loop turn while pages are taken in

Render = Callable[[float], Pages]  # a deadline (time.monotonic) -> what to show


class RenderJob(QObject):
    """Fills one browser with the pages of its latest render."""

    def __init__(self, browser: QTextBrowser, jobs: Jobs) -> None:
        super().__init__(browser)
        self.browser, self.jobs = browser, jobs
        # Pages go in through a cursor: kept for undo, a million lines would be held twice.
        browser.document().setUndoRedoEnabled(False)
        self._generation = 0
        self._waiting = False
        self._pages: deque[tuple[bool, str]] = deque()  # (HTML?, page)
        self._block, self._chars = QTextBlockFormat(), QTextCharFormat()
        self._text_begun = False
        self._then: Callable[[], None] | None = None
        self._step = QTimer(self)
        self._step.setSingleShot(True)
        self._step.timeout.connect(self._take_in)

    @property
    def busy(self) -> bool:
        """The latest render has not arrived or is not yet all taken in."""
        return self._waiting or bool(self._pages)

    def start(
        self, render: Render, then: Callable[[], None] | None = None, keep: bool = False
    ) -> None:
        """Render on the DATA lane and show the result; `then` runs once it is all in. The
        browser is emptied now unless `keep` (the same text again: no flash, no stale item)."""
        self._generation += 1
        generation = self._generation
        self._pages.clear()
        self._step.stop()
        self._waiting = True
        if not keep:
            self.browser.clear()
        self.jobs.run(
            Lane.DATA,
            lambda: render(time.monotonic() + FORMAT_BUDGET),
            done=lambda pages: self._arrived(generation, pages, then),
        )

    def _arrived(self, generation: int, pages: Pages, then: Callable[[], None] | None) -> None:
        if not isValid(self) or generation != self._generation:
            return  # the view is gone, or shows something newer
        self._waiting = False
        self._then = then
        self.browser.setHtml(pages.html[0] if pages.html else "")
        self._pages.extend((True, page) for page in pages.html[1:])
        self._pages.extend((False, page) for page in pages.text)
        self._block = QTextBlockFormat()
        self._block.setNonBreakableLines(not pages.wrap)
        self._chars = QTextCharFormat()
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._chars.setFontFamilies(fixed.families())
        self._chars.setFontFixedPitch(True)
        self._text_begun = False
        self._take_in()

    def _take_in(self) -> None:
        started = time.perf_counter()
        cursor = QTextCursor(self.browser.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        while self._pages and time.perf_counter() - started < STEP_SECONDS:
            is_html, page = self._pages.popleft()
            if is_html:
                cursor.insertBlock()
                cursor.insertHtml(page)
                continue
            if not self._text_begun:  # in a block of its own, below the HTML (a note) if any
                if cursor.position() > 0:
                    cursor.insertBlock(self._block, self._chars)
                else:
                    cursor.setBlockFormat(self._block)
                self._text_begun = True
            cursor.insertText(page, self._chars)
        if self._pages:
            self._step.start(0)
            return
        if self._then is not None:
            self._then()
