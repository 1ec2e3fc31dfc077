"""The Run box of the review view (issue 19 §2): run a call against the candidate, the task's
examples (run when a code item opens), and the model's probe calls, each as a small table.

Run and Examples are not AI help: they are offered in every condition the study lists them in
(`tools`), before a first verdict too. Probe is the model's: only where the assistant is open.
The sandboxed runs happen on this box's own thread (a candidate that loops must not hold up
the DATA lane's saves, nor wait behind a generation on the MODEL lane); the log rows are
written on the DATA lane, the probe on the MODEL lane with the model.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.assist_kinds import Source, kinds_from
from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome
from evalstudio.core.code_runs import (
    CallResult,
    CallStatus,
    ExampleVerdict,
    examples_of,
    probe_of,
    run_of,
)
from evalstudio.core.comparison import Layout
from evalstudio.render.hidden_chars import TEXT, reveal_plain
from evalstudio.render.theme import DARK, LIGHT, Theme
from evalstudio.services.review.session import QueueEntry, ReviewSession
from evalstudio.services.sandbox import candidate_runs
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.model_host import ModelHost

RUN_BOX_KINDS = kinds_from(Source.SANDBOX, Source.PROBE)
MAX_RUNS_SHOWN = 20  # the newest runs of the item; older ones stay in the log
MIN_RESULT_LINES = 3  # the results view never shrinks below this many lines


class ResultsView(InertBrowser):
    """The results, asking for as much height as they fill and no more: the review view gives
    the box only that (sized by content), and the candidate above it keeps the rest."""

    def sizeHint(self) -> QSize:
        height = self.document().size().height() + 2 * self.frameWidth() + 2
        return QSize(super().sizeHint().width(), max(int(height), self.minimumHeight()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.updateGeometry()  # a narrower view wraps into more lines


class _Delivery(QObject):
    """Brings a result from the box's run thread back to the GUI thread."""

    arrived = Signal(object)


class RunBox(QWidget):
    results_changed = Signal()  # the results shown changed: the review view fits the box

    def __init__(self, jobs: Jobs, host: ModelHost, session: ReviewSession) -> None:
        super().__init__()
        self.setAccessibleName("Run the code")
        self.jobs = jobs
        self.host = host
        self.session = session
        self.theme = LIGHT
        self.item_id: str | None = None
        self.entry: QueueEntry | None = None
        self.offered: tuple[AssistKind, ...] = ()
        self.assistant_open = False
        self._generation = 0  # bumped per item: late results of an item left are dropped
        self._runs: list[AssistEvent] = []
        self._pending_runs: list[str] = []  # inputs running now
        self._examples: AssistEvent | None = None
        self._examples_running = False
        self._probe: AssistEvent | None = None
        self._probe_cancel: threading.Event | None = None
        self._run_started = time.monotonic()
        self._scroll_to_end = False
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="evalstudio-run")
        self._delivery = _Delivery()
        self._delivery.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

        # Esc in it gives the keyboard back to the candidate (keyboard_focus.py).
        self.input = QLineEdit()
        self.input.setAccessibleName("Call to run against the candidate")
        self.input.setPlaceholderText("A call to run, e.g. f(1, 2)  (G to focus, Enter to run)")
        self.input.returnPressed.connect(self.run_input)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run_input)
        self.probe_button = QPushButton("&Probe")
        self.probe_button.setToolTip("The assistant proposes calls that could expose a bug (P)")
        self.probe_button.clicked.connect(self.probe)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.run_button)
        row.addWidget(self.probe_button)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.view = ResultsView()
        self.view.setAccessibleName("Run results")
        self.view.setMinimumHeight(MIN_RESULT_LINES * self.view.fontMetrics().lineSpacing() + 8)
        self.view.setPlaceholderText(
            "Run a call against the candidate: its value, what it printed, or the exception "
            "and the candidate's line."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self._update_controls()

    # -- what the review view tells the box ---------------------------------------------------

    def open_item(self, entry: QueueEntry) -> None:
        """A new item is on screen: forget the last one's results (late ones are dropped)."""
        self._generation += 1
        self.entry = entry
        self.item_id = entry.item.item_id
        item = entry.item
        # A compare or rank item's answers are not run (yet): the box offers nothing there.
        self.offered = (
            candidate_runs.offered_tools(
                self.session.design,
                entry.condition,
                self.session.allowed_kinds,
                item.kind,
                item.language,
            )
            if item.layout is Layout.SINGLE
            else ()
        )
        self.assistant_open = False
        self._runs, self._pending_runs = [], []
        self._examples, self._examples_running, self._probe = None, False, None
        if self._probe_cancel is not None:
            self._probe_cancel.set()
            self._probe_cancel = None
        self.status.clear()
        self._refresh()

    def show_history(self, events: list[AssistEvent]) -> None:
        """The evaluator's earlier runs on the item; runs the examples if none ran before."""
        mine = [e for e in events if e.kind in RUN_BOX_KINDS]
        self._runs = [e for e in mine if e.kind is AssistKind.RUN][-MAX_RUNS_SHOWN:]
        examples = [e for e in mine if e.kind is AssistKind.EXAMPLES]
        probes = [e for e in mine if e.kind is AssistKind.PROBE and e.outcome is Outcome.DONE]
        self._examples = examples[-1] if examples else None
        self._probe = probes[-1] if probes else None
        if self._examples is None and AssistKind.EXAMPLES in self.offered:
            self.run_examples()
        self._refresh()

    def set_assistant_open(self, open_: bool) -> None:
        self.assistant_open = open_
        self._update_controls()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._refresh()

    def offers(self, kind: AssistKind) -> bool:
        return kind in self.offered

    def focus_input(self) -> None:
        if self.isVisible() and AssistKind.RUN in self.offered:
            self.input.setFocus()
            self.input.selectAll()

    def close(self) -> bool:
        if self._probe_cancel is not None:
            self._probe_cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        return super().close()

    # -- requests -------------------------------------------------------------------------------

    def run_input(self) -> None:
        text = self.input.text()
        if AssistKind.RUN not in self.offered or self.item_id is None or not text.strip():
            return
        if len(self._pending_runs) >= 3:
            self.status.setText("Run · wait for the runs in progress")
            return
        self.input.clear()
        self._pending_runs.append(text)
        self._run_started = time.monotonic()
        self.status.setText("Run · running…")
        workspace, evaluator = self.session.workspace, self.session.evaluator.id
        item_id = self.item_id
        self._sandboxed(
            lambda: candidate_runs.begin_run(workspace, item_id, evaluator, text),
            lambda event: self._ran(text, event),
        )
        self._refresh()

    def run_examples(self) -> None:
        if AssistKind.EXAMPLES not in self.offered or self.item_id is None:
            return
        if self._examples_running:
            return
        self._examples_running = True
        workspace, evaluator, item_id = (
            self.session.workspace,
            self.session.evaluator.id,
            (self.item_id),
        )
        self._sandboxed(
            lambda: candidate_runs.begin_examples(workspace, item_id, evaluator),
            self._examples_ran,
        )
        self._refresh()

    def probe(self) -> None:
        if not self._probe_allowed() or self._probe_cancel is not None or self.entry is None:
            return
        cancel = threading.Event()
        self._probe_cancel = cancel
        entry, generation = self.entry, self._generation
        session = self.session
        evaluator, misleading = session.evaluator.id, session.misleading(entry)
        item_id = entry.item.item_id

        def work(assistant: Any) -> AssistEvent:
            return candidate_runs.probe(
                assistant, item_id, evaluator, misleading=misleading, cancel=cancel
            )

        def done(event: AssistEvent) -> None:
            if generation != self._generation:
                return
            self._probe_cancel = None
            self._probe = event
            outcome = {Outcome.DONE: "done", Outcome.CANCELLED: "stopped"}.get(
                event.outcome, f"failed: {event.error}"
            )
            self.status.setText(f"Probe · {outcome}")
            self._refresh()

        def failed(error: BaseException) -> None:
            if generation != self._generation:
                return
            self._probe_cancel = None
            self.status.setText(f"Probe · failed: {error}")
            self._refresh()

        if not self.host.run_with_assistant(work, done, failed):
            self._probe_cancel = None
            self.status.setText("Probe · the model is not loaded yet")
            return
        self.status.setText("Probe · the assistant is proposing calls…")
        self._refresh()

    def stop_probe(self) -> bool:
        """Stop a probe in progress; whether there was one."""
        if self._probe_cancel is None:
            return False
        self._probe_cancel.set()
        return True

    # -- inside -----------------------------------------------------------------------------------

    def _probe_allowed(self) -> bool:
        return AssistKind.PROBE in self.offered and self.assistant_open and self.host.ready

    def _sandboxed(
        self,
        begin: Callable[[], candidate_runs.Pending | None],
        show: Callable[[AssistEvent | None], None],
    ) -> None:
        """Log the request on the DATA lane, run it on the box's thread, complete its row on
        the DATA lane, then `show` the row (None: there was nothing to run)."""
        generation, workspace = self._generation, self.session.workspace

        def finish(pending: candidate_runs.Pending) -> None:
            self.jobs.run(
                Lane.DATA,
                lambda: candidate_runs.complete(workspace, pending),
                done=lambda event: self._if_current(generation, show, event),
                failed=lambda error: self._failed(generation, error, show),
            )

        def execute(pending: candidate_runs.Pending) -> None:
            try:
                candidate_runs.execute_pending(pending)
            except Exception as error:  # a sandbox that cannot start: the row still ends
                pending.problem = f"the sandbox could not run it: {error}"
            self._delivery.arrived.emit(lambda: finish(pending))

        def begun(pending: candidate_runs.Pending | None) -> None:
            if pending is None:
                self._if_current(generation, show, None)
                return
            self._pool.submit(execute, pending)

        self.jobs.run(
            Lane.DATA,
            begin,
            done=begun,
            failed=lambda error: self._failed(generation, error, show),
        )

    def _deliver(self, call: Callable[[], None]) -> None:
        call()

    def _if_current(
        self, generation: int, show: Callable[[AssistEvent | None], None], event: AssistEvent | None
    ) -> None:
        if generation == self._generation:
            show(event)

    def _failed(
        self, generation: int, error: BaseException, show: Callable[[AssistEvent | None], None]
    ) -> None:
        if generation != self._generation:
            return
        self.status.setText(f"Not run: {error}")
        show(None)

    def _ran(self, text: str, event: AssistEvent | None) -> None:
        if text in self._pending_runs:
            self._pending_runs.remove(text)
        if event is not None:
            self._runs = [*self._runs, event][-MAX_RUNS_SHOWN:]
            seconds = time.monotonic() - self._run_started
            note = f"failed: {event.error}" if event.outcome is Outcome.ERROR else "done"
            if event.outcome is Outcome.DONE:
                note = f"done in {seconds:.2f} s"
            self.status.setText(f"Run · {note}")
            self._scroll_to_end = True
        self._refresh()

    def _examples_ran(self, event: AssistEvent | None) -> None:
        self._examples_running = False
        if event is not None:
            self._examples = event
        self._refresh()

    def _update_controls(self) -> None:
        runs = AssistKind.RUN in self.offered
        for widget in (self.input, self.run_button):
            widget.setVisible(runs)
        self.probe_button.setVisible(AssistKind.PROBE in self.offered)
        self.probe_button.setEnabled(self._probe_allowed() and self._probe_cancel is None)
        if AssistKind.PROBE in self.offered and not self.assistant_open:
            self.probe_button.setToolTip("Probe opens with the assistant")
        else:
            self.probe_button.setToolTip("The assistant proposes calls that could expose a bug (P)")

    def _refresh(self) -> None:
        self._update_controls()
        parts = [self._examples_html(), self._probe_html(), self._runs_html()]
        body = "".join(p for p in parts if p)
        bar = self.view.verticalScrollBar()
        kept = bar.value()
        self.view.setHtml(f"<div>{body}</div>" if body else "")
        self.view.setVisible(bool(body))  # compact: the input row alone until there are results
        self.view.updateGeometry()
        # The examples stay in view; a run just made scrolls to itself (the end).
        bar.setValue(bar.maximum() if self._scroll_to_end else kept)
        self._scroll_to_end = False
        self.results_changed.emit()

    # -- HTML --------------------------------------------------------------------------------------

    def _colours(self) -> tuple[str, str, str]:
        dark = self.theme is DARK
        return ("#7ee787", "#ff7b72", "#8b949e") if dark else ("#1a7f37", "#cf222e", "#6e7781")

    def _examples_html(self) -> str:
        if AssistKind.EXAMPLES not in self.offered:
            return ""
        if self._examples is None:
            return (
                "<p><b>Examples from the task</b> · running…</p>"
                if (self._examples_running)
                else ""
            )
        checks = examples_of(self._examples.response)
        if not checks:
            return ""
        good, bad, grey = self._colours()
        passed = sum(c.verdict is ExampleVerdict.PASSED for c in checks)
        rows = []
        for check in checks:
            mark = {
                ExampleVerdict.PASSED: f'<span style="color:{good}">✓ passed</span>',
                ExampleVerdict.FAILED: f'<span style="color:{bad}">✗ failed</span>',
                ExampleVerdict.NOT_RUN: f'<span style="color:{grey}">– not run</span>',
            }[check.verdict]
            expected = (
                f"raises {check.example.raises}"
                if check.example.raises
                else check.example.expected or ""
            )
            rows.append(
                f"<tr><td>{_code(check.example.call)}</td><td>{_code(expected)}</td>"
                f"<td>{_result(check.result)}</td><td>{mark}</td></tr>"
            )
        head = (
            f"<p><b>Examples from the task</b> · {passed} of {len(checks)} passed</p>"
            '<table cellspacing="0" cellpadding="3" border="1" width="100%">'
            "<tr><th align=left>call</th><th align=left>expected</th>"
            "<th align=left>actual</th><th></th></tr>"
        )
        return head + "".join(rows) + "</table>"

    def _probe_html(self) -> str:
        if AssistKind.PROBE not in self.offered:
            return ""
        if self._probe_cancel is not None:
            return "<p><b>Probe</b> · the assistant is proposing calls…</p>"
        if self._probe is None:
            return ""
        rows = probe_of(self._probe.response)
        if not rows:
            return "<p><b>Probe</b> · the assistant proposed no call that could be run.</p>"
        cells = "".join(
            f"<tr><td>{_code(r.result.call)}</td><td>{_result(r.result)}</td>"
            f"<td>{_text(r.reason)}</td></tr>"
            for r in rows
        )
        return (
            "<p><b>Probe</b> · calls the assistant proposed; the results are the candidate's, "
            "judge them yourself</p>"
            '<table cellspacing="0" cellpadding="3" border="1" width="100%">'
            "<tr><th align=left>call</th><th align=left>result</th>"
            "<th align=left>why the assistant tried it</th></tr>"
            f"{cells}</table>"
        )

    def _runs_html(self) -> str:
        if AssistKind.RUN not in self.offered or not (self._runs or self._pending_runs):
            return ""
        items = []
        for event in self._runs:
            for result in run_of(event.response):
                items.append(f"<p>&gt;&gt;&gt; {_code(result.call)}<br>{_result(result)}</p>")
                if result.printed:
                    more = ""
                    if result.printed_chars > len(result.printed):
                        more = f"\n[… {result.printed_chars:,} characters printed in all]"
                    items.append(f"<pre>{_text(result.printed + more)}</pre>")
        for text in self._pending_runs:
            items.append(f"<p>&gt;&gt;&gt; {_code(text)}<br><i>running…</i></p>")
        return "<p><b>Your runs</b></p>" + "".join(items)


def _text(text: str) -> str:
    return html.escape(reveal_plain(text, TEXT))


def _code(text: str) -> str:
    return f"<code>{_text(text)}</code>"


def _result(result: CallResult) -> str:
    if result.status is CallStatus.VALUE:
        return _code(result.value or "None")
    return f"<i>{_text(result.shown())}</i>"
