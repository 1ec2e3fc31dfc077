"""The assistant panel: ask for a critique, fact-check or explanation, or chat; responses stream
in as rendered Markdown; critique points are listed, can be shown in the candidate and marked.

On a compare item a critique, fact-check or explanation is of one answer (the one the
evaluator is on, which the panel names), its points placed on that answer; a Comparison (which
answer is better) shows as its verdict and reasons. Each response says which answer it is of.

A critique streams as its points, read from the JSON as it forms (the raw text is behind "Show
raw output"); the points list folds away, and the transcript keeps a few lines whatever the
window's height. With the bundled demo model, a quiet note says so and where to choose another.

The panel only shows and asks: the review view sends the requests and logs the marks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.assist_kinds import ASKED_KINDS, spec
from evalstudio.core.assistance import AssistEvent, AssistKind, CritiquePoint, Outcome
from evalstudio.core.comparison import MUCH_BETTER, SIDE_LETTERS, Side
from evalstudio.core.model import line_count
from evalstudio.core.plurals import per_second
from evalstudio.core.point_placement import PlacedPoint, Placement, place
from evalstudio.core.review import PointMark
from evalstudio.render.safe_markdown import markdown_to_html
from evalstudio.render.theme import LIGHT, Theme
from evalstudio.services.assistance.assistant import advice_of, critique_of, forming_critique_of
from evalstudio.ui.labels import lines_text, narrow_as_text
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.model_host import LiveResponse

REPAINT_MS = 40  # 25 repaints a second: smooth, and far from re-rendering per token
TRANSCRIPT_LINES = 6  # the transcript's least height, in lines, however crowded the panel
DEMO_MODEL_NOTE = (
    "Demo model: the bundled SmolLM2-135M is tiny and often wrong. For real help, choose a "
    "larger GGUF model or a model server in File › Settings."
)
_MARK_TEXT = {PointMark.VALID: "✓ valid", PointMark.INVALID: "✗ invalid"}


@dataclass
class _Entry:
    """One response on the item: streaming (`live`) or finished (`event`)."""

    kind: AssistKind
    question: str | None
    live: LiveResponse | None = None
    event: AssistEvent | None = None

    @property
    def side(self) -> str | None:
        return self.event.side if self.event else self.live.side if self.live else None

    @property
    def shown(self) -> tuple[str, ...]:
        return self.event.shown if self.event else self.live.shown if self.live else ()

    @property
    def text(self) -> str:
        return self.event.response if self.event else self.live.text if self.live else ""

    @property
    def streaming(self) -> bool:
        return self.live is not None and not self.live.finished


class AssistantPanel(QWidget):
    requested = Signal(object, object)  # AssistKind, question text (chat) or None
    stop_requested = Signal()
    regenerate_requested = Signal(object)  # the AssistEvent to regenerate
    point_selected = Signal(object)  # PlacedPoint, or None: nothing to show
    point_marked = Signal(str, int, object)  # event id, point index, PointMark
    flaw_from_point = Signal(str, int, object)  # event id, point index, PlacedPoint

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Assistant")
        self.theme = LIGHT
        self._entries: list[_Entry] = []
        self._marks: dict[tuple[str, int], PointMark] = {}
        self._points: list[PlacedPoint] = []
        # Parsed again on every repaint; keyed by the answer placed on (None: the candidate).
        self._placed: dict[tuple[str | None, CritiquePoint], PlacedPoint] = {}
        self._points_event: str | None = None
        self.points_side: str | None = None  # the answer the listed points are of (compare)
        self._shown: list[str] = []
        self.model_ready = False
        self.candidate = ""  # the answer under review, where points are placed
        self.lines = 1
        # A compare or rank item's answers by candidate id: their letters and texts.
        self.letters: dict[str, str] = {}
        self.answers: dict[str, str] = {}

        self.buttons: dict[AssistKind, QPushButton] = {}
        row = QHBoxLayout()
        for kind in ASKED_KINDS:
            button = QPushButton(spec(kind).button)
            button.clicked.connect(lambda _=False, k=kind: self.requested.emit(k, None))
            self.buttons[kind] = button
            row.addWidget(button)
        row.addStretch()
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.clicked.connect(self._regenerate)
        row.addWidget(self.stop_button)
        row.addWidget(self.regenerate_button)
        # As narrow as their words: the row is the panel's least width, and the column holding
        # it leaves a compare item's answers the rest (ui/review/review_view.py).
        for button in (*self.buttons.values(), self.stop_button, self.regenerate_button):
            narrow_as_text(button)

        self.demo_note = QLabel(DEMO_MODEL_NOTE)
        self.demo_note.setWordWrap(True)
        self.demo_note.setAccessibleName("About the model")
        self.demo_note.setVisible(False)
        # On a compare item: which answer a critique, fact-check or explanation is of.
        self.side_note = QLabel()
        self.side_note.setWordWrap(True)
        self.side_note.setAccessibleName("The answer asked about")
        self.side_note.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        # It quotes errors a model server sent: shown as text, never read as HTML.
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.raw_toggle = QCheckBox("Show raw output")
        self.raw_toggle.setToolTip(
            "The critique's text as the model wrote it (JSON), in place of the transcript"
        )
        self.raw_toggle.toggled.connect(lambda _: self._refresh_raw())
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.raw_toggle)
        self.response_view = InertBrowser()
        self.response_view.setAccessibleName("Assistant responses")
        self.response_view.setPlaceholderText(
            "Ask the assistant for a critique, a fact-check or an explanation, or ask a question."
        )
        self.response_view.setMinimumHeight(
            TRANSCRIPT_LINES * self.response_view.fontMetrics().lineSpacing()
        )
        self.raw_view = QPlainTextEdit()
        self.raw_view.setReadOnly(True)
        self.raw_view.setAccessibleName("Raw output")
        self.raw_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.raw_view.setMinimumHeight(self.response_view.minimumHeight())
        self.raw_view.setVisible(False)

        self.points = QListWidget()
        self.points.setAccessibleName("Critique points")
        self.points.setWordWrap(True)
        self.points.currentRowChanged.connect(self._point_chosen)
        self.valid_button = QPushButton("✓ Valid")
        self.invalid_button = QPushButton("✗ Invalid")
        self.add_flaw_button = QPushButton("Add as flaw")
        self.valid_button.clicked.connect(lambda: self.mark_current(PointMark.VALID))
        self.invalid_button.clicked.connect(lambda: self.mark_current(PointMark.INVALID))
        self.add_flaw_button.clicked.connect(self._add_flaw)
        points_box = self.points_box = QWidget()
        points_layout = QVBoxLayout(points_box)
        points_layout.setContentsMargins(0, 0, 0, 0)
        # A header that folds the list away, for the transcript's sake on a small screen.
        self.points_toggle = QToolButton()
        self.points_toggle.setCheckable(True)
        self.points_toggle.setChecked(True)
        self.points_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.points_toggle.setAutoRaise(True)
        self.points_toggle.toggled.connect(self._fold_points)
        self.points_body = QWidget()
        body = QVBoxLayout(self.points_body)
        body.setContentsMargins(0, 0, 0, 0)
        self.points.setMinimumHeight(3 * self.points.fontMetrics().lineSpacing())
        body.addWidget(self.points)
        marks = QHBoxLayout()
        for button in (self.valid_button, self.invalid_button, self.add_flaw_button):
            marks.addWidget(button)
        marks.addStretch()
        body.addLayout(marks)
        points_layout.addWidget(self.points_toggle)
        points_layout.addWidget(self.points_body, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.response_view)
        split.addWidget(self.raw_view)
        split.addWidget(points_box)
        split.setChildrenCollapsible(False)  # the transcript keeps its few lines
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 2)
        self.splitter = split

        self.chat = QLineEdit()
        self.chat.setPlaceholderText("Ask about this answer…  (/ to focus, Enter to send)")
        self.chat.setAccessibleName("Question to the assistant")
        self.chat.returnPressed.connect(self._send_chat)
        send = QPushButton("Send")
        send.clicked.connect(self._send_chat)
        chat_row = QHBoxLayout()
        chat_row.addWidget(self.chat)
        chat_row.addWidget(send)
        self.send_button = send

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.demo_note)
        layout.addWidget(self.side_note)
        layout.addLayout(status_row)
        layout.addWidget(split, 1)
        layout.addLayout(chat_row)

        self._timer = QTimer(self)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self._repaint)
        self.points_box.setVisible(False)  # shown once a critique has points
        self._fold_points(True)
        self._update_controls()

    # -- what the review view tells the panel ------------------------------------------------

    def reset(
        self,
        events: list[AssistEvent],
        marks: dict[tuple[str, int], PointMark],
        candidate: str = "",
        sides: tuple[Side, ...] = (),
    ) -> None:
        """Show an item's earlier responses (oldest first) and the evaluator's marks;
        `candidate`: the answer under review, where critique points are placed; `sides`: a
        compare or rank item's answers in the order shown, where they are placed instead."""
        self.candidate, self.lines, self._placed = candidate, line_count(candidate), {}
        self.letters = {s.candidate_id: SIDE_LETTERS[i] for i, s in enumerate(sides)}
        self.answers = {s.candidate_id: s.text for s in sides}
        self.add_flaw_button.setVisible(not sides)  # a comparison's judgment has no flaws
        self.chat.setPlaceholderText(
            "Ask about these answers…  (/ to focus, Enter to send)"
            if sides
            else "Ask about this answer…  (/ to focus, Enter to send)"
        )
        self._entries = [_Entry(e.kind, _question(e), event=e) for e in events]
        self._marks = dict(marks)
        self.status.clear()
        self._refresh()

    def add_stored(self, event: AssistEvent) -> None:
        """Show a pre-generated response at once."""
        self._entries.append(_Entry(event.kind, None, event=event))
        self.status.setText(f"{self._title(event.kind, event.side)} · prepared in advance")
        self._refresh()

    def add_live(self, live: LiveResponse, question: str | None) -> None:
        self._entries.append(_Entry(live.kind, question, live=live))
        self._timer.start()
        self._refresh()

    def finished(self, live: LiveResponse) -> None:
        for entry in self._entries:
            if entry.live is not live:
                continue
            if live.event is not None:
                entry.event, entry.live = live.event, None
            # else the request never started: the entry keeps `live`, which holds the error
            outcome = live.event.outcome if live.event else Outcome.ERROR
            seconds = time.monotonic() - live.started
            note = {
                Outcome.DONE: f"done in {seconds:.1f} s",
                Outcome.CANCELLED: "stopped",
            }.get(outcome, f"failed: {live.error or 'unknown error'}")
            self.status.setText(f"{self._title(live.kind, live.side)} · {note}")
        if self.streaming() is None:
            self._timer.stop()
        self._refresh()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._shown, self._points = [], []  # both drawn again in the new colours
        self._refresh()

    def allow(self, kinds: tuple[AssistKind, ...]) -> None:
        """Show only the kinds the study allows (chat: the question box)."""
        for kind, button in self.buttons.items():
            button.setVisible(kind in kinds)
        for widget in (self.chat, self.send_button):
            widget.setVisible(AssistKind.CHAT in kinds)

    def set_side(self, side: str | None, kinds: tuple[AssistKind, ...]) -> None:
        """Name the answer (candidate id) the `kinds` offered about one answer would be of
        (none offered, or no side: the note hides)."""
        letter = self.letters.get(side or "")
        self.side_note.setVisible(bool(kinds) and letter is not None)
        if kinds and letter is not None:
            names = ", ".join(spec(kind).label for kind in kinds)
            self.side_note.setText(f"{names}: of answer {letter}  ([ ] or a click switches)")

    def set_demo_model(self, demo: bool) -> None:
        """Whether the model in use is the bundled demo one (the note shows)."""
        self.demo_note.setVisible(demo)

    def set_model_ready(self, ready: bool) -> None:
        self.model_ready = ready
        self._update_controls()

    def streaming(self) -> LiveResponse | None:
        for entry in self._entries:
            if entry.streaming:
                return entry.live
        return None

    def last_event(self) -> AssistEvent | None:
        for entry in reversed(self._entries):
            if entry.event is not None:
                return entry.event
        return None

    def chat_turns(self) -> list[dict[str, str]]:
        """The item's chat so far (finished answers only), to continue the conversation."""
        turns: list[dict[str, str]] = []
        for entry in self._entries:
            event = entry.event
            if entry.question and event is not None and event.outcome is Outcome.DONE:
                turns.append({"role": "user", "content": entry.question})
                turns.append({"role": "assistant", "content": event.response})
        return turns

    def mark_current(self, mark: PointMark) -> None:
        row = self.points.currentRow()
        if self._points_event is None or not 0 <= row < len(self._points):
            return
        key = (self._points_event, row)
        if self._marks.get(key) is mark:
            mark = PointMark.CLEARED  # pressing it again takes the mark back
        if mark is PointMark.CLEARED:
            self._marks.pop(key, None)
        else:
            self._marks[key] = mark
        self.point_marked.emit(self._points_event, row, mark)
        self._fill_points(keep_row=row)

    # -- inside ---------------------------------------------------------------------------------

    def _send_chat(self) -> None:
        question = self.chat.text().strip()
        if question and self.model_ready and self.streaming() is None:
            self.chat.clear()
            self.requested.emit(AssistKind.CHAT, question)

    def _regenerate(self) -> None:
        event = self.last_event()
        if event is not None and self.streaming() is None:
            self.regenerate_requested.emit(event)

    def _add_flaw(self) -> None:
        row = self.points.currentRow()
        if self._points_event is not None and 0 <= row < len(self._points):
            placed = self._points[row]
            if placed.can_be_flaw:
                self.flaw_from_point.emit(self._points_event, row, placed)

    def _point_chosen(self, row: int) -> None:
        if 0 <= row < len(self._points):
            placed = self._points[row]
            self.point_selected.emit(placed if placed.lines or placed.span else None)
        self._update_controls()

    def _repaint(self) -> None:
        live = self.streaming()
        if live is not None:
            rate = per_second(live.tokens_per_second(), "token")  # none until two tokens
            if not live.chunks and not live.text:
                speed = " · waiting for the first token"
            else:
                speed = f" · {rate}" if rate else " · the first token is in"
            self.status.setText(f"{self._title(live.kind, live.side)} · streaming{speed}")
        self._refresh()

    def _refresh(self) -> None:
        parts = self._transcript()
        if parts != self._shown:
            bar = self.response_view.verticalScrollBar()
            at_bottom = bar.value() >= bar.maximum() - 4
            # Part by part: a long chat stays formatted (markdown_to_html shows a very long
            # text plain), and one odd response cannot unformat the others.
            html = "<hr>".join(markdown_to_html(part, self.theme) for part in parts)
            self.response_view.setHtml(html)
            if at_bottom or self.streaming() is not None:
                bar.setValue(bar.maximum())
            self._shown = parts
        self._fill_points()
        self._refresh_raw()
        self._update_controls()

    def _latest_critique(self) -> _Entry | None:
        critiques = [e for e in self._entries if e.kind is AssistKind.CRITIQUE and e.text]
        return critiques[-1] if critiques else None

    def _refresh_raw(self) -> None:
        """The latest critique's raw text, when asked for, in the transcript's place (the
        toggle shows once there is a critique)."""
        latest = self._latest_critique()
        self.raw_toggle.setVisible(latest is not None)
        show = latest is not None and self.raw_toggle.isChecked()
        # In the transcript's place: a small screen has no room for both.
        self.raw_view.setVisible(show)
        self.response_view.setVisible(not show)
        if show and latest is not None and self.raw_view.toPlainText() != latest.text:
            self.raw_view.setPlainText(latest.text)
            bar = self.raw_view.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _fold_points(self, open_: bool) -> None:
        self.points_body.setVisible(open_)
        self.points_toggle.setArrowType(
            Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow
        )
        # Folded, the header is all the box is: the transcript takes the rest.
        self.points_box.setMaximumHeight(
            16_777_215 if open_ else self.points_toggle.sizeHint().height()
        )

    def _transcript(self) -> list[str]:
        """The item's responses as Markdown, one part per question and per response."""
        parts = []
        for entry in self._entries:
            heading = f"#### {self._title(entry.kind, entry.side)}"
            if entry.question:
                parts.append(f"**You:** {entry.question}")
            body = entry.text
            if entry.kind is AssistKind.CRITIQUE and body:
                body = self._critique_markdown(body, entry.side, finished=not entry.streaming)
            elif entry.kind is AssistKind.COMPARE and body:
                body = _comparison_markdown(body, len(entry.shown), finished=not entry.streaming)
            if entry.event is not None and entry.event.outcome is Outcome.CANCELLED:
                body += "\n\n*(stopped)*"
            elif entry.event is not None and entry.event.outcome is Outcome.ERROR:
                body += f"\n\n*(failed: {entry.event.error})*"
            elif entry.live is not None and entry.live.finished and entry.live.error:
                body += f"\n\n*(failed: {entry.live.error})*"
            elif entry.streaming and not body:
                body = "*…*"
            parts.append(f"{heading}\n\n{body}")
        return parts

    def _fill_points(self, keep_row: int | None = None) -> None:
        latest = self._latest_critique()
        side = latest.side if latest else None
        points = [self._place(p, side) for p in critique_of(latest.text).points] if latest else []
        event_id = latest.event.id if latest and latest.event else None
        if points == self._points and event_id == self._points_event and keep_row is None:
            return
        row = keep_row if keep_row is not None else self.points.currentRow()
        self._points, self._points_event, self.points_side = points, event_id, side
        lines = self._lines_of(side)
        self.points.blockSignals(True)
        self.points.clear()
        for index, placed in enumerate(points):
            point = placed.point
            mark = self._marks.get((event_id, index)) if event_id else None
            where = _where(placed, lines)
            suffix = f"   [{_MARK_TEXT[mark]}]" if mark else ""
            entry = QListWidgetItem(f"{where} · {point.severity.value}: {point.claim}{suffix}")
            if point.quote:
                entry.setToolTip(f"Quotes: {point.quote}")
            if not placed.can_be_flaw:  # dimmed: it points at nothing
                entry.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
            self.points.addItem(entry)
        if 0 <= row < len(points):
            self.points.setCurrentRow(row)
        self.points.blockSignals(False)
        self.points_box.setVisible(bool(points))
        of = f" of answer {self.letters[side]}" if side in self.letters else ""
        self.points_toggle.setText(
            f"Critique points{of} ({len(points)}) — click one to see its lines"
        )
        self._update_controls()

    def _update_controls(self) -> None:
        busy = self.streaming() is not None
        for button in self.buttons.values():
            button.setEnabled(self.model_ready and not busy)
        self.send_button.setEnabled(self.model_ready and not busy)
        self.stop_button.setEnabled(busy)
        self.regenerate_button.setEnabled(
            self.model_ready and not busy and self.last_event() is not None
        )
        row = self.points.currentRow()
        chosen = self._points_event is not None and 0 <= row < len(self._points)
        for button in (self.valid_button, self.invalid_button):
            button.setEnabled(chosen)
        self.add_flaw_button.setEnabled(chosen and self._points[row].can_be_flaw)

    def _place(self, point: CritiquePoint, side: str | None) -> PlacedPoint:
        """Place a point on the answer it is of (a compare item's side, else the candidate)."""
        placed = self._placed.get((side, point))
        if placed is None:
            placed = self._placed[side, point] = place(point, self._text_of(side))
        return placed

    def _text_of(self, side: str | None) -> str:
        return self.answers.get(side or "", self.candidate)

    def _lines_of(self, side: str | None) -> int:
        return line_count(self._text_of(side)) if side in self.answers else self.lines

    def _title(self, kind: AssistKind, side: str | None) -> str:
        """A response's heading, with the answer it is of: "Critique · answer B"."""
        letter = self.letters.get(side or "")
        return spec(kind).heading + (f" · answer {letter}" if letter else "")

    def _critique_markdown(self, text: str, side: str | None, finished: bool) -> str:
        """A critique (JSON, possibly still streaming: its points as they form) as readable
        Markdown; free text as it came. The raw JSON is behind "Show raw output"."""
        critique = critique_of(text) if finished else forming_critique_of(text)
        if not critique.structured and not critique.points:
            return text
        if finished and not critique.points and critique.verdict is None:
            return (
                "*The critique ended before any point could be read; Show raw output shows "
                "what the model wrote.*"
            )
        lines = []
        if critique.verdict is not None:
            verdict = "contains a flaw" if critique.verdict.value == "flawed" else "acceptable"
            lines.append(f"**Verdict:** {verdict}\n")
        for point in critique.points:
            where = _where(self._place(point, side), self._lines_of(side))
            lines.append(f"- **{where}** ({point.severity.value}): {point.claim}")
        if not finished:  # the last point is the one being written
            lines.append("\n*writing…*" if critique.points else "*reading the critique…*")
        return "\n".join(lines)


def _comparison_markdown(text: str, sides: int, finished: bool) -> str:
    """A Comparison (JSON, possibly still streaming) as its verdict and reasons; a reply that is
    not the asked-for JSON as it came."""
    advice = advice_of(text, tuple(SIDE_LETTERS[:sides]))
    if not advice.structured and not advice.reasons:
        return text if finished else "*reading the comparison…*"
    if advice.better is not None:
        much = " much" if advice.strength == MUCH_BETTER else ""
        verdict = f"**Answer {advice.better} is{much} better**"
    else:
        verdict = "**About the same**" if advice.structured else "*(no preference given)*"
    lines = [verdict, ""] + [f"- {reason}" for reason in advice.reasons]
    if not finished:
        lines.append("\n*writing…*")
    return "\n".join(lines)


def _question(event: AssistEvent) -> str | None:
    return event.chat[-1]["content"] if event.chat else None


def _where(placed: PlacedPoint, candidate_lines: int) -> str:
    """Where a point is, in words: "Lines 3–4", "Line 8 (named line 5; placed by its
    quote)", "Unplaced (lines 32–100: the answer has 12)"."""
    named = placed.point.lines
    if placed.placement is Placement.GENERAL:
        return "General"
    if placed.placement is Placement.UNPLACED:
        assert named is not None
        return f"Unplaced ({lines_text(named)}: the answer has {candidate_lines})"
    assert placed.lines is not None
    here = lines_text(placed.lines).capitalize()
    if placed.placement is Placement.SNAPPED:
        said = f"named {lines_text(named)}" if named else "named no line"
        return f"{here} ({said}; placed by its quote)"
    return here
