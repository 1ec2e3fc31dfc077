"""Suspicion in the review view (issue 19 §3): the button (D), the progress, a one-line legend
and the three most suspicious lines; the heat itself is painted in the candidate's gutter
(candidate_view, from `scores_shown`).

It is the model's, so it is offered where the assistant is (assisted and misleading items, once
revealed) and only if the study's `assist_kinds` lists it. The scoring runs on the MODEL lane
through the host, like a probe; its row is logged by the service. Nothing is painted while it
runs: under the misleading condition the scores are manipulated only at the end, so partial
scores would show the honest ones. A logged result is shown again when the item is reopened.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome
from evalstudio.core.comparison import Layout
from evalstudio.core.model import Kind
from evalstudio.core.suspicion import Scored, from_json
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.suspicion import SuspicionRun
from evalstudio.services.review.session import QueueEntry, ReviewSession
from evalstudio.ui.labels import hint
from evalstudio.ui.model_host import ModelHost
from evalstudio.ui.review.suspicion_strip import TopLines

PROGRESS_MS = 150  # the progress line is read from the run this often (not once per unit)
LEGEND = {
    Kind.CODE: "Heat beside each line: the model's yes/no probability that the line has a "
    "bug; not a finding.",
    Kind.TEXT: "Heat beside the text: the model's yes/no probability that a sentence is "
    "false; not a finding.",
}
NOUN = {Kind.CODE: "lines", Kind.TEXT: "sentences"}


@dataclass
class _InFlight:
    """A scoring queued or running: `run` is set on the MODEL lane when it starts."""

    cancel: threading.Event
    started: float
    run: SuspicionRun | None = None

    def stop(self) -> None:
        self.cancel.set()
        if self.run is not None:
            self.run.cancel()


class SuspicionBox(QWidget):
    scores_shown = Signal(object)  # Scored, or None: the candidate's strip paints it
    unit_chosen = Signal(object)  # Unit: a listed line was chosen; the candidate shows it

    def __init__(self, host: ModelHost, session: ReviewSession) -> None:
        super().__init__()
        self.setAccessibleName("Suspicion")
        self.host = host
        self.session = session
        self.entry: QueueEntry | None = None
        self.offered = False
        self.assistant_open = False
        self.complete = False  # a finished scoring is shown: another would give the same
        self._generation = 0  # bumped per item: a late result of an item left is dropped
        self._history: AssistEvent | None = None  # the item's logged result, until revealed
        self._flight: _InFlight | None = None

        self.button = QPushButton("Suspicion")
        self.button.setToolTip("The model's doubt about each line, in the gutter (D)")
        self.button.clicked.connect(self._clicked)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # it may quote a server's error
        self.legend = hint()
        self.legend.setTextFormat(Qt.TextFormat.PlainText)
        self.legend.setWordWrap(True)
        self.top = TopLines()
        self.top.unit_chosen.connect(self.unit_chosen.emit)
        self.top.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.legend)
        layout.addWidget(self.top)

        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._progress)
        # A method, not a lambda: Qt drops the connection when the box is deleted (a workspace
        # switch rebuilds the review view; the host lives on).
        host.ready_changed.connect(self._ready_changed)
        self.setVisible(False)

    # -- what the review view tells the box ---------------------------------------------------

    def open_item(self, entry: QueueEntry) -> None:
        """A new item is on screen: stop the last one's scoring and forget its result."""
        self.stop()
        self._generation += 1
        self._flight = None
        self._timer.stop()
        self.entry = entry
        self.offered = (  # a compare or rank item has no one candidate to score
            entry.condition.assisted
            and AssistKind.SUSPICION in self.session.allowed_kinds
            and entry.item.layout is Layout.SINGLE
        )
        self.assistant_open = False
        self.setVisible(False)  # until the item's assistant opens (never, if unassisted)
        self._history = None
        self.legend.setText(LEGEND[entry.item.kind])
        self._show(None, "")

    def show_history(self, events: list[AssistEvent]) -> None:
        """The evaluator's last scoring of the item (a finished one, else one stopped part of
        the way), shown once the assistant is open."""
        if not self.offered:
            return
        mine = [
            e
            for e in events
            if e.kind is AssistKind.SUSPICION
            and e.outcome in (Outcome.DONE, Outcome.CANCELLED)
            and e.response
        ]
        done = [e for e in mine if e.outcome is Outcome.DONE]
        found = done[-1] if done else mine[-1] if mine else None
        self._history = found
        if self.assistant_open and found is not None:
            self._show_event(found)

    def set_assistant_open(self, open_: bool) -> None:
        self.assistant_open = open_
        self.setVisible(self.offered and open_)
        if open_ and self._history is not None and self._flight is None:
            self._show_event(self._history)
        self._update_controls()

    # -- requests ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Score the item's lines (D, or the button). Nothing new to learn from a second
        finished scoring: the same model gives the same scores, and the misleading plan is
        drawn per evaluator and item, so it would repeat too."""
        if not self._allowed() or self._flight is not None or self.entry is None:
            return
        if self.complete:
            self.status.setText("Suspicion · already scored: the heat is beside the candidate")
            return
        entry, generation = self.entry, self._generation
        session = self.session
        item_id, evaluator = entry.item.item_id, session.evaluator.id
        misleading = session.misleading(entry)
        flight = _InFlight(threading.Event(), time.monotonic())

        def work(assistant: Assistant) -> AssistEvent | None:
            if flight.cancel.is_set():
                return None  # stopped while queued: nothing was asked, nothing is logged
            run = SuspicionRun(assistant, item_id, evaluator_id=evaluator, misleading=misleading)
            flight.run = run
            if flight.cancel.is_set():
                run.cancel()
            return run.run()

        def done(event: AssistEvent | None) -> None:
            if generation != self._generation:
                return
            self._flight = None
            self._timer.stop()
            if event is None:
                self._show(None, "Suspicion · stopped")
            else:
                self._show_event(event, seconds=time.monotonic() - flight.started)

        def failed(error: BaseException) -> None:
            if generation != self._generation:
                return
            self._flight = None
            self._timer.stop()
            self._show(None, f"Suspicion · failed: {error}")

        if not self.host.run_with_assistant(work, done, failed):
            self.status.setText("Suspicion · the model is not loaded yet")
            return
        self._flight = flight
        self._show(None, "Suspicion · waiting for the model…")
        self._timer.start()

    def stop(self) -> bool:
        """Stop a scoring in progress (Esc): the lines scored so far are logged and shown."""
        if self._flight is None:
            return False
        self._flight.stop()
        self.status.setText("Suspicion · stopping…")
        return True

    def running(self) -> bool:
        return self._flight is not None

    # -- inside -----------------------------------------------------------------------------------

    def _clicked(self) -> None:
        if self._flight is not None:
            self.stop()
        else:
            self.run()

    def _ready_changed(self, _ready: bool) -> None:
        self._update_controls()

    def _allowed(self) -> bool:
        return self.offered and self.assistant_open and self.host.ready

    def _progress(self) -> None:
        flight, entry = self._flight, self.entry
        if flight is None or flight.run is None or entry is None or flight.cancel.is_set():
            return
        done, total = flight.run.progress
        if total:
            self.status.setText(f"Suspicion · {done} of {total} {NOUN[entry.item.kind]}")

    def _show_event(self, event: AssistEvent, seconds: float | None = None) -> None:
        assert self.entry is not None
        scored = from_json(event.response, self.entry.item.candidate)
        noun = NOUN[self.entry.item.kind]
        if event.outcome is Outcome.ERROR:
            note = f"failed: {event.error or 'unknown error'}"
        elif event.outcome is Outcome.CANCELLED:
            note = f"stopped after {len(scored.units)} {noun}"
        elif seconds is not None:
            note = f"{len(scored.units)} {noun} in {seconds:.1f} s"
        else:
            note = f"{len(scored.units)} {noun}, scored earlier"
        self._show(scored if scored.units else None, f"Suspicion · {note}")
        self.complete = event.outcome is Outcome.DONE and bool(scored.units)
        self._update_controls()

    def _show(self, scored: Scored | None, status: str) -> None:
        self.complete = False
        self.status.setText(status)
        if scored is None:
            self.top.clear()
            self.top.setVisible(False)
        else:
            noun = "Line" if self.entry and self.entry.item.kind is Kind.CODE else None
            self.top.show_scores(scored.units, scored.scores, noun)
            self.top.setVisible(True)
        self.scores_shown.emit(scored)
        self._update_controls()

    def _update_controls(self) -> None:
        running = self._flight is not None
        self.button.setText("Stop" if running else "Suspicion")
        self.button.setEnabled(running or (self._allowed() and not self.complete))
