"""The model behind the assistant panel: loaded, warmed and streamed on the MODEL lane.

A response streams into a `LiveResponse` that the worker fills and the panel reads on a timer,
so the GUI repaints at its own pace instead of once per token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

from evalstudio.core.assistance import AssistEvent, AssistKind
from evalstudio.core.misleading import Misleading
from evalstudio.services.assistance.assistant import Assistant, AssistRun
from evalstudio.services.assistance.backends import Backend, Message, ModelSettings, open_backend
from evalstudio.services.studies.perturbation import FlawSuggestion, suggest_for_answer
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Jobs, Lane

T = TypeVar("T")


@dataclass
class LiveResponse:
    """A response in flight: the worker appends, the GUI reads (str assignment is atomic)."""

    item_id: str
    kind: AssistKind
    chat: list[Message] | None
    side: str | None = None  # a compare item's answer it is about (candidate id)
    shown: tuple[str, ...] = ()  # or all the item's answers, in the order shown
    text: str = ""
    chunks: int = 0
    started: float = field(default_factory=time.monotonic)
    first_chunk_at: float | None = None
    event: AssistEvent | None = None
    error: str | None = None
    finished: bool = False
    _run: AssistRun | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancel.set()
        if self._run is not None:
            self._run.cancel()

    def tokens_per_second(self) -> float:
        if self.first_chunk_at is None or self.chunks < 2:
            return 0.0
        elapsed = time.monotonic() - self.first_chunk_at
        return (self.chunks - 1) / elapsed if elapsed > 0 else 0.0


class ModelHost(QObject):
    """Owns the Assistant; every call on it runs on the MODEL lane."""

    state_changed = Signal(str)  # a short text for the status bar
    ready_changed = Signal(bool)
    response_finished = Signal(object)  # the LiveResponse

    def __init__(
        self, jobs: Jobs, workspace: Workspace, settings: ModelSettings, backend: Backend | None
    ) -> None:
        super().__init__()
        self.jobs = jobs
        self.workspace = workspace
        self.settings = settings
        self._given_backend = backend  # owned by the caller (tests share one model)
        self._assistant: Assistant | None = None  # what requests go to (GUI thread)
        self._built: Assistant | None = None  # the newest made (MODEL lane): closed when replaced
        self._loads = 0  # which load is the newest: an older one's result is dropped
        self.ready = False
        self.failed = False  # the last load failed (the status bar says why)

    @property
    def model_id(self) -> str:
        return self.settings.backend_and_model()[1]

    def load(self, settings: ModelSettings | None = None) -> None:
        """(Re)load the model in the background; the window stays usable meanwhile."""
        if settings is not None:
            self.settings = settings
        self._start(keep_backend=False)

    def use_workspace(self, workspace: Workspace) -> None:
        """The app moved to `workspace`: the assistant reads and logs there from now on; the
        model loaded stays (one that failed to load is tried again)."""
        self.workspace = workspace
        self._start(keep_backend=True)

    def _start(self, keep_backend: bool) -> None:
        """Build the assistant on the MODEL lane, after what is queued there for the old one:
        on a fresh backend, or (`keep_backend`) on the one loaded with the same settings."""
        self.ready = self.failed = False
        self.ready_changed.emit(False)
        self.state_changed.emit(f"Model: loading {self.model_id}…")
        settings, workspace = self.settings, self.workspace
        self._assistant = None  # no new request goes to the old model or workspace
        self._loads += 1
        turn = self._loads

        def work() -> Assistant:
            old, self._built = self._built, None
            if keep_backend and old is not None and old.settings == settings:
                old.stop_warming()
                backend = old.backend
            else:
                if old is not None:
                    self._close(old)
                backend = self._given_backend or open_backend(settings)
                backend.info()  # waits for the load; raises AssistError if it failed
            self._built = Assistant(workspace, backend, settings)
            return self._built

        def done(assistant: Assistant) -> None:
            if turn == self._loads:
                self._loaded(assistant)

        def failed(error: BaseException) -> None:
            if turn == self._loads:
                self._load_failed(error)

        self.jobs.run(Lane.MODEL, work, done=done, failed=failed)

    def _loaded(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self.ready = True
        self.ready_changed.emit(True)
        self.state_changed.emit(f"Model: {self.model_id} ready")

    def _load_failed(self, error: BaseException) -> None:
        self.failed = True
        self.state_changed.emit(f"Model: not available — {error}")

    def warm(self, item_id: str, side: str | None = None) -> None:
        """Prepare the model for the item (of a compare item: its answer `side`)."""
        if self._assistant is not None:
            assistant = self._assistant
            self.jobs.run(Lane.MODEL, lambda: assistant.open_item(item_id, side), failed=_ignore)

    def request(
        self,
        item_id: str,
        kind: AssistKind,
        evaluator_id: str,
        *,
        chat: list[Message] | None = None,
        misleading: Misleading | None = None,
        regenerates: str | None = None,
        side: str | None = None,
        shown: tuple[str, ...] = (),
    ) -> LiveResponse:
        """Queue a request; the returned LiveResponse fills as it streams. Of a compare item:
        `side`, the answer a request about one answer is of; `shown`, the item's answers in the
        order the evaluator sees them, for one about all of them (a Comparison, a chat). A
        regenerated request keeps its own (the service reads them from its row); these only
        name it on screen."""
        live = LiveResponse(item_id, kind, chat, side, shown)
        assistant = self._assistant
        if assistant is None:
            live.error, live.finished = "the model is not loaded yet", True
            self.response_finished.emit(live)
            return live

        def work() -> AssistEvent | None:
            if live._cancel.is_set():
                return None
            if regenerates is not None:
                run = assistant.regenerate(
                    regenerates, evaluator_id=evaluator_id, misleading=misleading
                )
            elif shown:
                run = assistant.request_on_answers(
                    item_id,
                    kind,
                    shown,
                    evaluator_id=evaluator_id,
                    chat=chat,
                    misleading=misleading,
                )
            else:
                run = assistant.request(
                    item_id,
                    kind,
                    evaluator_id=evaluator_id,
                    chat=chat,
                    misleading=misleading,
                    side=side,
                )
            live._run = run
            if live._cancel.is_set():
                run.cancel()
            for chunk in run:
                if live.first_chunk_at is None:
                    live.first_chunk_at = time.monotonic()
                live.text += chunk
                live.chunks += 1
            return run.event

        def done(event: AssistEvent | None) -> None:
            live.event = event
            if event is not None:
                live.text, live.error = event.response, event.error
            live.finished = True
            self.response_finished.emit(live)

        def failed(error: BaseException) -> None:
            live.error, live.finished = str(error), True
            self.response_finished.emit(live)

        self.jobs.run(Lane.MODEL, work, done=done, failed=failed)
        return live

    def suggest_flaw(
        self,
        prompt: str,
        answer: str,
        language: str,
        done: Callable[[FlawSuggestion], None],
        failed: Callable[[BaseException], None],
    ) -> bool:
        """Queue a Suggest-a-flaw request for the study owner; False if no model is loaded."""
        assistant = self._assistant
        if assistant is None:
            return False
        max_tokens = max(self.settings.max_tokens, 2 * len(answer) // 3 + 200)  # whole answer
        self.jobs.run(
            Lane.MODEL,
            lambda: suggest_for_answer(assistant, prompt, answer, language, max_tokens=max_tokens),
            done=done,
            failed=failed,
        )
        return True

    def run_with_assistant(
        self,
        work: Callable[[Assistant], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
    ) -> bool:
        """Queue `work(assistant)` on the MODEL lane (a Probe: ui/review/run_box.py); False if
        no model is loaded."""
        assistant = self._assistant
        if assistant is None:
            return False
        self.jobs.run(Lane.MODEL, lambda: work(assistant), done=done, failed=failed)
        return True

    def shutdown_job(self) -> None:
        """Run on the MODEL lane as its last job: free the model and the lane's connection."""
        if self._built is not None:
            self._close(self._built)
        self.workspace.close()

    def _close(self, assistant: Assistant) -> None:
        if self._given_backend is not None:
            assistant.stop_warming()
        else:
            assistant.close()


def _ignore(_error: BaseException) -> None:
    """A warm-up that fails is only a slower first request; the request reports the error."""
