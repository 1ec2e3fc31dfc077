"""The review view: one item at a time — task, candidate, assistant panel, judgment form.

Wires the widgets to the review session and the model host. Every database call goes to the
DATA lane (in order, so a read sees the writes before it); the screen changes at once. The task,
guidelines and candidate are rendered there too (render_job), ahead of the item's read.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.assist_kinds import (
    ASKED_KINDS,
    STORED_KINDS,
    Source,
    fits,
    fits_all,
    kinds_from,
)
from evalstudio.core.assistance import AssistEvent, AssistKind
from evalstudio.core.comparison import SIDE_LETTERS, Layout
from evalstudio.core.model import ItemView, Kind, Severity, Verdict
from evalstudio.core.plurals import counted
from evalstudio.core.point_placement import PlacedPoint
from evalstudio.core.review import (
    FlawSource,
    Judgment,
    PointMark,
    ReportedFlaw,
    Stage,
    form_problems,
    next_undone,
)
from evalstudio.core.rubric import answer_problems
from evalstudio.render.conversation_html import conversation_pages, evaluated_label
from evalstudio.render.safe_markdown import markdown_pages
from evalstudio.render.theme import Theme
from evalstudio.services.assistance.assistant import responses
from evalstudio.services.review import restart
from evalstudio.services.review.session import QueueEntry, ReviewSession, ReviewState
from evalstudio.ui.activity import ActivityWatcher
from evalstudio.ui.app_settings import AppSettings
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.labels import titled
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.model_host import LiveResponse, ModelHost
from evalstudio.ui.review.answer_on import AnswerOn
from evalstudio.ui.review.assistant_panel import AssistantPanel
from evalstudio.ui.review.candidate_view import CandidateView, untrusted_note
from evalstudio.ui.review.judgment_form import JudgmentFormView
from evalstudio.ui.review.keyboard_focus import FocusKeeper
from evalstudio.ui.review.queue_list import QueueList, mark_of, with_legend
from evalstudio.ui.review.render_job import RenderJob
from evalstudio.ui.review.run_box import RUN_BOX_KINDS, RunBox
from evalstudio.ui.review.sides_view import SidesView
from evalstudio.ui.review.skip_dialog import ask_reason
from evalstudio.ui.review.suspicion_box import SuspicionBox

DRAFT_DELAY_MS = 500  # a draft is saved at most this long after the last change
DRAFT_RETRY_MS = 5000  # after a failed save (disk full, workspace held elsewhere)
CANDIDATE_TITLE = "Candidate answer"
# A conversation's transcript takes up to this share of the centre column, the evaluated
# turn keeping at least the second.
CONVERSATION_SHARE = 0.55
CANDIDATE_KEEPS = 0.3
CANDIDATE_SHARE = 0.6  # the run box's results take no more from a candidate that needs it
# A compare or rank item's answers take the width: the queue narrows to this, and the right
# column to this share of the three, until the evaluator drags them.
ANSWERS_QUEUE_WIDTH = 150
ANSWERS_RIGHT_SHARE = 0.3
# The outer splitter's saved sizes, for single items (False) and items with several answers.
OUTER_KEYS = {False: "review/outer", True: "review/outer/answers"}
# The right column's sizes, saved once the evaluator has dragged them. v2: the run box moved
# from the right column to the centre (a state saved before would size the wrong panes).
RIGHT_KEY = "review/right/v2"
# Kinds shown outside the assistant panel's transcript (the run box, the candidate's gutter).
NOT_IN_PANEL = kinds_from(Source.SANDBOX, Source.PROBE, Source.DOUBT)


@dataclass(frozen=True)
class _Opened:
    """What the DATA lane read for an item being opened."""

    state: ReviewState
    events: list[AssistEvent]
    stored: dict[AssistKind, AssistEvent]


class ReviewView(QWidget):
    status_changed = Signal()  # progress, stage or item changed: the status bar re-reads
    problem = Signal(str)  # a message for the user (the window shows it)

    def __init__(
        self,
        session: ReviewSession,
        jobs: Jobs,
        host: ModelHost,
        activity: ActivityWatcher,
        settings: AppSettings,
        theme: Theme,
    ) -> None:
        super().__init__()
        self.session = session
        self.jobs = jobs
        self.host = host
        self.activity = activity
        self.settings = settings
        self.theme = theme
        # The GUI's copies (the session's belong to the DATA lane): the queue's marks.
        self.done = set(session.done)
        self.skipped = set(session.skipped)
        self.drafted = set(session.drafted)
        self.index = -1
        self.stage = Stage.FINAL
        self.revealed = False
        self.loaded = False  # the open item's state has arrived from the DATA lane
        self._stored: dict[AssistKind, AssistEvent] = {}
        self._dirty = False
        self._home_when_loaded = False  # the keyboard goes home again when the item's state is in
        # The centre column's sizes before a conversation's transcript took height.
        self._sizes_before_conversation: list[int] | None = None
        # The columns' widths are kept apart for single items and items with several answers,
        # each the evaluator's once dragged; here the kind not on screen (or not yet shown).
        self._outer_answers = False
        self._outer_states: dict[bool, QByteArray] = {}
        # The evaluator has sized the right column (dragged it, now or in a review before):
        # their sizes hold, and the form no longer takes the height its questions need.
        self._right_sized = False

        self.queue = QueueList(
            session.queue,
            [
                mark_of(entry.item.item_id, self.done, self.skipped, self.drafted)
                for entry in session.queue
            ],
        )
        self.queue.currentRowChanged.connect(self._queue_clicked)

        self.task_view = InertBrowser()
        self.task_view.setAccessibleName("Task")
        self.guidelines_view = InertBrowser()
        self.guidelines_view.setAccessibleName("Guidelines")
        self.task_tabs = QTabWidget()
        self.task_tabs.addTab(self.task_view, "Task")
        self.task_tabs.addTab(self.guidelines_view, "Guidelines")
        self.task_render = RenderJob(self.task_view, jobs)
        self.guidelines_render = RenderJob(self.guidelines_view, jobs)
        self.candidate = CandidateView(jobs)
        self.panel = AssistantPanel()
        self.panel.set_theme(theme)
        self.form = JudgmentFormView()
        self.form.set_questions(session.questions)
        # Run, Examples, Probe (issue 19 §2): a box of its own, shown in every condition the
        # study offers them in (Run and Examples are not AI help), for Python code items only.
        self.run_box = RunBox(jobs, host, session)
        self.run_box.set_theme(theme)
        # Queued: the results' document is laid out (and so measured) after this turn.
        self.run_box.results_changed.connect(self._fit_run_box, Qt.ConnectionType.QueuedConnection)
        # Suspicion (issue 19 §3): under the candidate, whose gutter shows the heat.
        self.suspicion = SuspicionBox(host, session)
        self.suspicion.scores_shown.connect(self.candidate.show_suspicion)
        self.suspicion.unit_chosen.connect(self.candidate.show_unit)
        candidate_pane = QWidget()
        candidate_layout = QVBoxLayout(candidate_pane)
        candidate_layout.setContentsMargins(0, 0, 0, 0)
        candidate_layout.setSpacing(0)
        candidate_layout.addWidget(self.candidate, 1)
        candidate_layout.addWidget(self.suspicion)
        # A compare or rank item's answers take the candidate's place (ui/review/sides_view.py).
        self.sides = SidesView(jobs)
        self.sides.setVisible(False)
        candidate_layout.addWidget(self.sides, 1)
        # The answer a compare item's evaluator is on: what a critique is of.
        self.answer_on = AnswerOn(self.sides)
        self.answer_on.changed.connect(self._side_chosen)

        self.center = QSplitter(Qt.Orientation.Vertical)
        self.center.addWidget(self.task_tabs)
        self.untrusted_note = untrusted_note()
        self.candidate_title = QLabel(CANDIDATE_TITLE)
        self.candidate_box = titled(
            self.candidate_title, candidate_pane, margin=2, note=self.untrusted_note
        )
        self.center.addWidget(self.candidate_box)
        # The run box is the candidate's console: under it, sized by its results (none: the
        # input row alone), so at 1280×720 the right column holds the assistant and the whole
        # judgment form, and the candidate keeps what the results do not need.
        self.run_box_box = titled("Run the code", self.run_box, margin=2)
        self.run_box_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.center.addWidget(self.run_box_box)
        self.center.setStretchFactor(1, 3)
        self.center.setCollapsible(1, False)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.assistant_box = titled("Assistant", self.panel, margin=2)
        self.right.addWidget(self.assistant_box)
        self.right.addWidget(self.form)
        self.right.setCollapsible(1, False)  # the judgment form is never dragged out of sight
        self.right.splitterMoved.connect(self._right_dragged)  # by hand only, not setSizes
        self.outer = QSplitter()
        self.outer.addWidget(titled("Your items", with_legend(self.queue), margin=2))
        self.outer.addWidget(self.center)
        self.outer.addWidget(self.right)
        self.outer.setStretchFactor(1, 3)
        self.outer.setStretchFactor(2, 2)
        self._restore_layout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.outer)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft)

        # Esc in a text field, and a focus Qt moves on from a hidden widget, come back here.
        self.focus_keeper = FocusKeeper(self, self.focus_home)

        self.form.changed.connect(self._form_changed)
        self.form.submit_requested.connect(self.submit)
        self.form.skip_requested.connect(self.skip)
        self.form.add_flaw_requested.connect(self.add_flaw_from_selection)
        self.form.flaw_selected.connect(self.candidate.mark)
        self.form.rank.show_side.connect(self.sides.show_side)
        self.form.rank.show_step.connect(self.sides.step)
        self.form.rank.changed.connect(lambda: self.sides.set_ranks(self.form.rank.order))
        self.panel.requested.connect(self.ask)
        self.panel.stop_requested.connect(self.stop)
        self.panel.regenerate_requested.connect(self._regenerate)
        self.panel.point_selected.connect(self._show_point)
        self.panel.point_marked.connect(self._point_marked)
        self.panel.flaw_from_point.connect(self._flaw_from_point)
        self.panel.set_model_ready(host.ready)
        self._model_changed()
        host.state_changed.connect(self._model_changed)  # a method: it ends with this view
        host.ready_changed.connect(self.panel.set_model_ready)
        host.response_finished.connect(self._response_finished)

    # -- the item on screen -------------------------------------------------------------------

    @property
    def entry(self) -> QueueEntry:
        return self.session.queue[self.index]

    @property
    def single(self) -> bool:
        """The open item shows one candidate (not a compare or rank item)."""
        return self.index < 0 or self.entry.item.layout is Layout.SINGLE

    def focus_home(self) -> None:
        """Give the keyboard to the candidate, where single-key shortcuts act."""
        self.home_widget().setFocus(Qt.FocusReason.OtherFocusReason)

    def home_widget(self) -> QWidget:
        """Where the keyboard rests on the open item: the candidate; on a compare item answer
        A; on a rank item the order list, where an answer's letter picks it."""
        if self.single:
            return self.candidate.current_browser()
        if self.entry.item.layout is Layout.RANK:
            return self.form.rank.list
        return self.answer_on.browser()

    def open_index(self, index: int) -> None:
        """Show the item at `index` of the queue: content now, its state when read."""
        if not 0 <= index < len(self.session.queue) or index == self.index:
            return
        self.save_draft()
        self.stop()
        self.index = index
        entry = self.entry
        item = entry.item
        self.loaded = False
        self.queue.set_current(index)
        # Rendered on the DATA lane before the read below: in place when the state arrives.
        self._show_task(keep=False)
        self.task_tabs.setCurrentWidget(self.task_view)  # each item opens on its task
        self._name_parts(item)
        self.answer_on.index = 0  # a compare item starts on answer A
        self._show_candidates(item)
        # Before the form is disabled and the assistant hidden: the keyboard starts each item
        # on its candidate (unless it is moving through the queue list).
        self._home_when_loaded = QApplication.focusWidget() is not self.queue
        if self._home_when_loaded:
            self.focus_home()
        self.form.source_text = item.candidate
        self.form.setEnabled(False)
        self.panel.reset([], {})
        self.panel.allow(self._kinds_here())
        self.assistant_box.setVisible(False)
        self.run_box.open_item(entry)
        self.run_box_box.setVisible(bool(self.run_box.offered))
        self.suspicion.open_item(entry)
        # Once the right column holds what this item has (its least width is the form's).
        self._fit_columns(answers=item.layout is not Layout.SINGLE)
        self.status_changed.emit()

        session, evaluator, model_id = self.session, self.session.evaluator.id, self.host.model_id
        assisted = entry.condition.assisted

        def read() -> _Opened:
            session.opened(item.item_id)
            # Until the window leaves the review in order: a crash reopens this item.
            restart.record_open(session.workspace, session.study.id, evaluator, item.item_id)
            stored = {}
            for kind in STORED_KINDS:
                found = session.stored_response(entry, kind, model_id)
                if found is not None:
                    stored[kind] = found
            events = responses(session.workspace, item.item_id, evaluator)
            if not assisted:  # only the runs (not AI help) of an unassisted item
                events = [e for e in events if e.kind in RUN_BOX_KINDS]
            return _Opened(session.state(item.item_id), events, stored)

        self.jobs.run(Lane.DATA, read, done=lambda opened: self._show_state(index, opened))

    def _show_state(self, index: int, opened: _Opened) -> None:
        if index != self.index:
            return  # the evaluator moved on before the read came back
        state = opened.state
        judged = state.item.final
        skipped = judged is not None and judged.skipped
        self._note(
            self.entry.item.item_id, judged is not None, skipped, state.item.draft is not None
        )
        first_needed = self.session.first_verdict_needed(self.entry) and state.item.first is None
        self.stage = Stage.FIRST if first_needed and judged is None else Stage.FINAL
        form = state.item.draft
        if form is None and judged is not None and not judged.skipped:
            form = judged.form
        self.form.set_form(
            form,
            self.stage,
            revision=judged is not None,
            skipped_reason=judged.skipped_reason if judged else None,
        )
        self.form.setEnabled(True)
        if self._home_when_loaded and self.entry.item.layout is Layout.RANK:
            self.focus_home()  # a rank item's home is in the form, disabled until now
        already = form.active_ms if form else judged.form.active_ms if judged else 0
        self.activity.restart(already)
        self._stored = opened.stored
        self.revealed = self.stage is Stage.FINAL
        panel_events = [e for e in opened.events if e.kind not in NOT_IN_PANEL]
        item = self.entry.item
        self.panel.reset(panel_events, state.item.point_marks, item.candidate, item.sides)
        self._side_chosen(self.answer_on.index)
        self.run_box.show_history(opened.events)
        self.suspicion.show_history(opened.events)
        self.loaded = True
        if self.entry.condition.assisted and self.revealed:
            self._reveal(auto_show=not panel_events)
        self.status_changed.emit()

    def _reveal(self, auto_show: bool) -> None:
        """Open the assistant: its panel appears, the model warms to the item."""
        self.assistant_box.setVisible(True)
        self.run_box.set_assistant_open(True)
        self.suspicion.set_assistant_open(True)
        self.host.warm(self.entry.item.item_id, self._side_id())
        if auto_show and AssistKind.CRITIQUE in self._stored:
            self._show_stored(AssistKind.CRITIQUE)
        self._fit_form()

    def _show_stored(self, kind: AssistKind) -> None:
        event = self._stored.pop(kind)
        self.panel.add_stored(event)
        item_id, session = self.entry.item.item_id, self.session
        self.jobs.run(Lane.DATA, lambda: session.shown(item_id, event.id))

    # -- navigation ---------------------------------------------------------------------------

    def step(self, delta: int) -> None:
        self.open_index(self.index + delta)

    def next_not_done(self) -> None:
        found = next_undone(self.session.item_ids(), self.done, self.index)
        if found is not None:
            self.open_index(found)

    def _queue_clicked(self, row: int) -> None:
        self.open_index(row)

    # -- the judgment ---------------------------------------------------------------------------

    def _form_changed(self) -> None:
        self._dirty = True
        if not self._draft_timer.isActive():
            self._draft_timer.start()  # not restarted by further typing: at most 0.5 s behind

    def save_draft(self) -> None:
        """Write the form as the item's draft now, if it changed since the last save."""
        self._draft_timer.stop()
        if not self._dirty or not self.loaded:
            return
        self._dirty = False
        item_id, stage = self.entry.item.item_id, self.stage
        form = self.form.form(self.activity.active_ms())
        session = self.session
        self._note(item_id, item_id in self.done, item_id in self.skipped, drafted=True)
        self.jobs.run(
            Lane.DATA, lambda: session.save_draft(item_id, stage, form), failed=self._draft_failed
        )

    def _draft_failed(self, error: BaseException) -> None:
        """The form keeps what was typed; it is saved again in a few seconds or at the next
        change. Said in the status bar only: a dialog at every keystroke would stop the work."""
        self._dirty = True
        QTimer.singleShot(DRAFT_RETRY_MS, self.save_draft)
        self.problem.emit(f"Draft not saved yet (trying again): {error}")

    def submit(self) -> None:
        if not self.loaded:
            return
        stage, item_id = self.stage, self.entry.item.item_id
        form = self.form.form(self.activity.active_ms())
        item = self.entry.item
        problems = form_problems(
            form,
            stage,
            layout=item.layout,
            candidate_ids=tuple(side.candidate_id for side in item.sides),
            scale=self.session.compare_scale,
        )
        if stage is Stage.FINAL:
            questions = self.session.questions_for(item.layout)
            problems += answer_problems(questions, form.answers, item.layout.value)
        if problems:
            self.form.show_problem("To submit: " + "; ".join(problems) + ".")
            return
        self._draft_timer.stop()
        self._dirty = False
        session, index = self.session, self.index
        self.jobs.run(
            Lane.DATA,
            lambda: session.submit(item_id, stage, form),
            failed=lambda error: self._submit_failed(index, error),
        )
        if stage is Stage.FIRST:  # the final judgment starts as a draft of the first one
            self._note(item_id, judged=False, skipped=False, drafted=True)
            self.stage = Stage.FINAL
            self.form.set_form(form, Stage.FINAL, revision=False)
            self.revealed = True
            if self.entry.condition.assisted:
                self._reveal(auto_show=True)
            self.status_changed.emit()
            return
        self._note(item_id, judged=True, skipped=False, drafted=False)
        self._after_final()

    def skip(self) -> None:
        if not self.loaded:
            return
        reason = ask_reason(self)  # the dialog refuses an empty reason
        if reason is None:
            return
        self._draft_timer.stop()
        self._dirty = False
        item_id, active = self.entry.item.item_id, self.activity.active_ms()
        session, index = self.session, self.index
        self.jobs.run(
            Lane.DATA,
            lambda: session.skip(item_id, reason, active),
            failed=lambda error: self._submit_failed(index, error),
        )
        self._note(item_id, judged=True, skipped=True, drafted=False)
        self._after_final()

    def _after_final(self) -> None:
        found = next_undone(self.session.item_ids(), self.done, self.index)
        if found is None:
            current, self.index = self.index, -1
            self.open_index(current)  # shows the judgment just stored, open for revision
            self.problem.emit("Every item is done. Thank you! You can still revise any of them.")
        else:
            self.open_index(found)

    def _submit_failed(self, index: int, error: BaseException) -> None:
        # Opening the item again reads its true marks back.
        self._note(self.session.queue[index].item.item_id, False, False, drafted=True)
        self.index = -1
        self.open_index(index)
        self.problem.emit(f"Not saved: {error}")

    def undo_submit(self) -> None:
        """Take back the last submitted judgment and return to its item, form restored."""
        session = self.session

        def undone(judgment: Judgment | None) -> None:
            if judgment is None:
                self.problem.emit("Nothing to undo.")
                return
            item_id = judgment.study_item_id
            self._note(item_id, judged=False, skipped=False, drafted=True)
            self.index = -1
            self.open_index(session.index_of(item_id))

        self.save_draft()
        self.jobs.run(Lane.DATA, session.undo_last, done=undone)

    def add_flaw_from_selection(self) -> None:
        if not self.loaded or self.stage is not Stage.FINAL or not self.single:
            return
        item = self.entry.item
        if item.kind is Kind.CODE:
            flaw = ReportedFlaw(Severity.MAJOR, "", lines=self.candidate.selected_lines())
        else:
            selected = self.candidate.selected_span()
            flaw = ReportedFlaw(Severity.MAJOR, "", span=selected[0] if selected else None)
        self.form.add_flaw(flaw)

    def set_verdict(self, verdict: Verdict) -> None:
        if self.loaded:
            self.form.set_verdict(verdict)

    # -- assistance -----------------------------------------------------------------------------

    def ask(self, kind: AssistKind, question: str | None = None) -> None:
        if not self._assistant_open() or self.panel.streaming() is not None:
            return
        if kind not in self._kinds_here():
            return
        if kind in self._stored:
            self._show_stored(kind)
            return
        chat = None
        if kind is AssistKind.CHAT:
            if not question:
                return
            chat = [*self.panel.chat_turns(), {"role": "user", "content": question}]
        entry = self.entry
        item = entry.item
        about_all = fits_all(kind, item.layout)
        live = self.host.request(
            item.item_id,
            kind,
            self.session.evaluator.id,
            chat=chat,
            misleading=self.session.misleading(entry),
            side=None if about_all else self._side_id(),
            shown=tuple(s.candidate_id for s in item.sides) if about_all else (),
        )
        self.panel.add_live(live, question)

    def _model_changed(self, _: str = "") -> None:
        self.panel.set_demo_model(self.host.settings.uses_bundled_model())

    def _kinds_here(self) -> tuple[AssistKind, ...]:
        """The study's kinds that apply to the open item (the registry says where each fits:
        on a compare item per answer or about both, on a rank item chat only)."""
        item = self.entry.item
        allowed = self.session.allowed_kinds
        return tuple(k for k in allowed if fits(k, item.kind, item.has_reference, item.layout))

    def _side_id(self) -> str | None:
        """The candidate id of the compare item's answer the evaluator is on (None on a
        single item; a rank item's requests are all about every answer)."""
        item = self.entry.item
        on = self.answer_on.index
        return item.sides[on].candidate_id if item.layout is Layout.COMPARE else None

    def _side_chosen(self, _index: int) -> None:
        """Say in the panel which answer a request about one answer is now of."""
        item = self.entry.item
        per_side = tuple(
            k for k in self._kinds_here() if k in ASKED_KINDS and not fits_all(k, item.layout)
        )
        self.panel.set_side(self._side_id(), per_side)

    def suspect(self) -> None:
        """Score the open item's lines (D): the model's doubt, painted in the gutter."""
        if self.single:
            self.suspicion.run()

    def show_side_step(self, delta: int) -> None:
        """Show the next (or previous) answer of a rank item; on a compare item, move the
        keyboard to the other answer (the one a critique is then of)."""
        if self.single:
            return
        if self.entry.item.layout is Layout.COMPARE:
            self.answer_on.step(delta)
            self.focus_home()
        else:
            self.sides.step(delta)

    def stop(self) -> None:
        self.run_box.stop_probe()
        self.suspicion.stop()
        live = self.panel.streaming()
        if live is not None:
            live.cancel()

    def regenerate(self) -> None:
        event = self.panel.last_event()
        if event is not None:
            self._regenerate(event)

    def _regenerate(self, event: AssistEvent) -> None:
        if not self._assistant_open() or self.panel.streaming() is not None:
            return
        entry = self.entry
        live = self.host.request(
            entry.item.item_id,
            event.kind,
            self.session.evaluator.id,
            chat=list(event.chat) or None,
            misleading=self.session.misleading(entry),
            regenerates=event.id,
            side=event.side,
            shown=event.shown,
        )
        self.panel.add_live(live, event.chat[-1]["content"] if event.chat else None)

    def _assistant_open(self) -> bool:
        return self.loaded and self.revealed and self.entry.condition.assisted

    def _response_finished(self, live: LiveResponse) -> None:
        self.panel.finished(live)
        self.status_changed.emit()

    def _point_marked(self, event_id: str, index: int, mark: PointMark) -> None:
        item_id, session = self.entry.item.item_id, self.session
        self.jobs.run(Lane.DATA, lambda: session.mark_point(item_id, event_id, index, mark))

    def _show_point(self, placed: PlacedPoint | None) -> None:
        """Show a chosen critique point where it was placed: its lines in code, its quote in
        text (and nothing for a general or unplaced one); on a compare item, on the answer the
        critique is of."""
        view, text = self.candidate, self.entry.item.candidate
        side = self.panel.points_side
        for index, answer in enumerate(self.entry.item.sides):
            if answer.candidate_id == side:
                view, text = self.sides.views[index], answer.text
            else:
                self.sides.views[index].mark(None)  # the other answer's mark goes
        view.mark(placed.lines if placed else None)
        if placed is not None and placed.span is not None:
            view.show_passage(text[placed.span.start : placed.span.end])

    def _flaw_from_point(self, event_id: str, index: int, placed: PlacedPoint) -> None:
        """A point becomes a flaw where it was placed (on text, also the quote's characters)."""
        point, text = placed.point, self.entry.item.kind is not Kind.CODE
        self.form.add_flaw(
            ReportedFlaw(
                point.severity,
                point.claim,
                lines=placed.lines,
                span=placed.span if text else None,
                source=FlawSource.ASSISTANT,
                assist_event_id=event_id,
                point_index=index,
            )
        )

    # -- look -----------------------------------------------------------------------------------

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.candidate.set_theme(theme)
        self.sides.set_theme(theme)
        self.panel.set_theme(theme)
        self.run_box.set_theme(theme)
        if self.index >= 0:
            self._show_task(keep=True)

    def _show_candidates(self, item: ItemView) -> None:
        """The candidate, or a compare or rank item's answers; the form judges what is shown."""
        single = item.layout is Layout.SINGLE
        if single:
            self.candidate.show_item(item, self.theme)
        else:  # its panes first: shown before, the last item's would count in the width
            self.sides.show_item(item, self.theme)
        self.candidate.setVisible(single)
        self.sides.setVisible(not single)
        self.form.set_layout(item.layout, item.sides, self.session.compare_scale)
        questions = self.session.questions_for(item.layout)
        if questions != tuple(field.question for field in self.form.rubric.fields):
            self.form.set_questions(questions)

    def _fit_columns(self, answers: bool) -> None:
        """Give the columns the widths of the kind of item now open: those the evaluator last
        had on one of its kind, else for several answers the most the centre can take."""
        if answers == self._outer_answers:
            return
        self._outer_states[self._outer_answers] = self.outer.saveState()
        self._outer_answers = answers
        state = self._outer_states.get(answers)
        if state is not None:
            self.outer.restoreState(state)
        elif answers:
            # The splitter keeps each column's least width (the assistant's buttons, the
            # scale's points) whatever share is asked.
            total = sum(self.outer.sizes())
            right = int(total * ANSWERS_RIGHT_SHARE)
            self.outer.setSizes([ANSWERS_QUEUE_WIDTH, total - ANSWERS_QUEUE_WIDTH - right, right])

    def _fit_form(self) -> None:
        """Beside the assistant, give the judgment form the height it asks for (its rubric
        questions whole, a rationale and flaws the height their text fills), at least half
        the column, from the assistant, which keeps its least height (TRANSCRIPT_LINES of
        transcript); once the evaluator has sized the column, theirs holds."""
        if self._right_sized:
            return
        total = sum(self.right.sizes())
        spare = total - self.assistant_box.minimumSizeHint().height()
        form = max(total // 2, min(self.form.wanted_height(), spare))
        self.right.setSizes([total - form, form])

    def _right_dragged(self, _pos: int, _index: int) -> None:
        self._right_sized = True

    def _fit_run_box(self) -> None:
        """Give the run box the height its results fill, taken from (or given back to) the
        candidate, which keeps the height its own lines fill up to CANDIDATE_SHARE of the
        centre column; a size the evaluator dragged holds until the results change again."""
        sizes = self.center.sizes()
        if len(sizes) != 3 or not self.run_box_box.isVisible():
            return
        total = sum(sizes)
        browser = self.candidate.current_browser()
        candidate_needs = (
            self.candidate_box.sizeHint().height()
            - browser.sizeHint().height()
            + int(browser.document().size().height())
            + 2 * browser.frameWidth()
        )
        keep = max(
            min(candidate_needs, int(total * CANDIDATE_SHARE)),
            self.candidate_box.minimumSizeHint().height(),
        )
        grow = min(self.run_box_box.sizeHint().height() - sizes[2], sizes[1] - keep)
        if grow:
            self.center.setSizes([sizes[0], sizes[1] - grow, sizes[2] + grow])

    def _name_parts(self, item: ItemView) -> None:
        """Title the task tab and the candidate pane for what the item is: in a conversation,
        the transcript and its evaluated turn, named in words (not by the marker's colour)."""
        turns = item.conversation
        if item.layout is not Layout.SINGLE:
            last = SIDE_LETTERS[len(item.sides) - 1]
            self.candidate_title.setText(
                "Answers A (left) and B (right)"
                if item.layout is Layout.COMPARE
                else f"Answers A–{last}, one at a time"
            )
        if turns is None:
            if self._sizes_before_conversation is not None:
                self.center.setSizes(self._sizes_before_conversation)
                self._sizes_before_conversation = None
            self.task_tabs.setTabText(0, "Task")
            self.task_view.setAccessibleName("Task")
            if item.layout is Layout.SINGLE:
                self.candidate_title.setText(CANDIDATE_TITLE)
            self.candidate.name_browsers("Candidate")
            return
        evaluated = evaluated_label(turns)
        self.task_tabs.setTabText(0, f"Conversation ({counted(len(turns), 'earlier turn')})")
        self.task_view.setAccessibleName("Conversation before the evaluated turn")
        self.candidate_title.setText(f"▶ Evaluated {evaluated}")
        self.candidate.name_browsers(f"Evaluated {evaluated},")

    def _show_task(self, keep: bool) -> None:
        item, theme = self.entry.item, self.theme
        guidelines = self.session.study.guidelines or "*This study has no guidelines.*"
        turns = item.conversation
        if turns is None:
            prompt = item.task_prompt
            self.task_render.start(
                lambda deadline: markdown_pages(prompt, theme, deadline), keep=keep
            )
        else:  # the newest turns, which the evaluated one answers, in view
            self.task_render.start(
                lambda deadline: conversation_pages(turns, theme, deadline),
                then=self._fit_conversation,
                keep=keep,
            )
        self.guidelines_render.start(
            lambda deadline: markdown_pages(guidelines, theme, deadline), keep=keep
        )

    def _fit_conversation(self) -> None:
        """Give the transcript the height it fills, up to CONVERSATION_SHARE of the column,
        from the candidate's (which keeps CANDIDATE_KEEPS); the newest turns in view. The
        sizes before come back with the next item that is not a conversation."""
        sizes = self.center.sizes()
        total = sum(sizes)
        view = self.task_view
        needs = (
            self.task_tabs.height()
            - view.height()
            + int(view.document().size().height())
            + 2 * view.frameWidth()
        )
        grow = min(
            min(needs, int(total * CONVERSATION_SHARE)) - sizes[0],
            sizes[1] - int(total * CANDIDATE_KEEPS),
        )
        if grow > 0:
            if self._sizes_before_conversation is None:
                self._sizes_before_conversation = sizes
            self.center.setSizes([sizes[0] + grow, sizes[1] - grow, sizes[2]])
        bar = view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def save_layout(self) -> None:
        for name, splitter in self._splitters().items():
            self.settings.set_layout(name, splitter.saveState())
        if self._right_sized:  # else the form's fit is the next review's too
            self.settings.set_layout(RIGHT_KEY, self.right.saveState())
        self._outer_states[self._outer_answers] = self.outer.saveState()
        for answers, state in self._outer_states.items():
            self.settings.set_layout(OUTER_KEYS[answers], state)

    def _restore_layout(self) -> None:
        self.outer.setSizes([220, 640, 520])
        self.center.setSizes([140, 440, 150])
        self.right.setSizes([420, 420])
        for name, splitter in self._splitters().items():
            state = self.settings.layout(name)
            if state is not None:
                splitter.restoreState(state)
        for answers, key in OUTER_KEYS.items():
            if (state := self.settings.layout(key)) is not None:
                self._outer_states[answers] = state
        if False in self._outer_states:  # no item is open yet: the single items' widths
            self.outer.restoreState(self._outer_states[False])
        if (state := self.settings.layout(RIGHT_KEY)) is not None:
            self._right_sized = self.right.restoreState(state)

    def _splitters(self) -> dict[str, QSplitter]:
        """The splitters saved as they are (the outer one is saved per kind of item)."""
        return {
            # v2: the run box moved from the right column to the centre (another count of
            # panes: a state saved before would size the wrong ones).
            "review/center/v2": self.center,
            "review/assistant": self.panel.splitter,
        }

    def _note(self, item_id: str, judged: bool, skipped: bool, drafted: bool) -> None:
        """Record where an item stands, in the GUI's sets and its mark in the queue."""
        for found, kept in ((judged, self.done), (skipped, self.skipped), (drafted, self.drafted)):
            if found:
                kept.add(item_id)
            else:
                kept.discard(item_id)
        mark = mark_of(item_id, self.done, self.skipped, self.drafted)
        self.queue.set_mark(self.session.index_of(item_id), mark)
