"""The Backend protocol every model source implements, and the Stream a request returns."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from evalstudio.core.assistance import Outcome
from evalstudio.core.errors import EvalStudioError

Message = dict[str, str]


class AssistError(EvalStudioError):
    """The model cannot answer (missing file, server down, prompt too long, ...)."""


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 512
    temperature: float = 0.7
    # None: a fresh random seed per request, so Regenerate gives new text (also after restart).
    seed: int | None = None
    # Hold the output to this JSON schema (a grammar locally, JSON mode over HTTP).
    json_schema: dict[str, Any] | None = None
    # Evaluate the whole prompt afresh instead of reusing the cached prefix: logits depend on
    # how a prompt was split into batches, so only then does a fixed seed give the same text
    # whatever was asked before (a local model; a server keeps its own cache).
    reproducible: bool = False


@dataclass(frozen=True)
class ModelInfo:
    backend: str
    model_id: str
    path: str | None
    n_ctx: int | None


class Stream:
    """A response being generated. One consumer iterates the text chunks; any thread may
    cancel. After the iteration ends, the fields say how it ended."""

    _END = object()

    def __init__(self, seed: int | None = None, cancel: threading.Event | None = None) -> None:
        self.seed = seed
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.outcome = Outcome.RUNNING
        self.error: str | None = None
        self.started = time.monotonic()
        self.started_utc = datetime.now(UTC)
        self.first_chunk_at: float | None = None
        self.ended_at: float | None = None
        self.served_by: str | None = None  # the server that answered (its base URL), if any
        self.replayed = False  # an earlier answer to the same seeded request, not generated
        self._chunks: list[str] = []
        self._on_end: list[Callable[[Stream], None]] = []
        self._on_end_lock = threading.Lock()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        # Shared with another stream's when given: an attempt made for it stops with it.
        self._cancel = cancel or threading.Event()
        self._done = threading.Event()

    # Producer side (the backend's worker thread).
    def push(self, text: str) -> None:
        if self.first_chunk_at is None:
            self.first_chunk_at = time.monotonic()
        self._chunks.append(text)
        self._queue.put(text)

    def finish(self, outcome: Outcome, error: str | None = None) -> None:
        self.outcome = outcome
        self.error = error
        self.ended_at = time.monotonic()
        self._queue.put(self._END)
        with self._on_end_lock:
            self._done.set()
            callbacks, self._on_end = self._on_end, []
        for callback in callbacks:
            callback(self)

    def when_ended(self, callback: Callable[[Stream], None]) -> None:
        """Call `callback(stream)` once the request has ended (at once if it has), on the
        thread that ends it: what lets one thread wait for the first of many streams."""
        with self._on_end_lock:
            if not self._done.is_set():
                self._on_end.append(callback)
                return
        callback(self)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # Consumer side.
    def __iter__(self) -> Iterator[str]:
        while True:
            item = self._queue.get()
            if item is self._END:
                self._queue.put(self._END)  # a second iteration ends at once
                return
            assert isinstance(item, str)
            yield item

    def cancel(self) -> None:
        """Stop generating: within one token once decoding runs, or during prompt evaluation."""
        self._cancel.set()

    def attempt(self) -> Stream:
        """A fresh stream for one attempt at this request (same seed), cancelled with it."""
        return Stream(self.seed, cancel=self._cancel)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the request has ended; True if it has."""
        return self._done.wait(timeout)

    @property
    def text(self) -> str:
        """Everything generated so far."""
        return "".join(self._chunks)


class Backend(Protocol):
    """A source of model help. Requests start in the order they were made; a local model and
    a single server answer one at a time, a ServerPool several at once."""

    def info(self) -> ModelInfo: ...

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream: ...

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        """Log-probability of each option as the first token of the reply."""
        ...

    def warm(self, variants: list[list[Message]]) -> Stream:
        """Evaluate the prefix the variants share so the next request on them starts fast."""
        ...

    def close(self) -> None: ...


def answer(
    backend: Backend,
    messages: list[Message],
    params: GenerationParams,
    earlier: dict[str, Any] | None,
) -> Stream:
    """The stream of a request: `earlier`, a logged answer to the very same seeded request
    (its `response` and token counts), replayed as a finished stream; else the backend's."""
    if earlier is None:
        return backend.stream(messages, params)
    stream = Stream(params.seed)
    stream.replayed = True
    stream.prompt_tokens = earlier["prompt_tokens"]
    stream.completion_tokens = earlier["completion_tokens"]
    stream.push(earlier["response"])
    stream.finish(Outcome.DONE)
    return stream
