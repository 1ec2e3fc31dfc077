"""ServerPool: one Backend over several OpenAI-compatible servers of the same model, with up
to `in_flight` requests at once. Each request goes to the server with the fewest requests in
flight (ties: the first listed); a server that fails it (unreachable, the connection reset or
cut, a 5xx) is rested and the request tried afresh on another, so one server dying mid-run
costs its requests a retry, not the run. The stream says which server answered
(`Stream.served_by`, logged with the request).

An attempt streams into a private Stream and the caller's gets the whole answer when it
ends: a retried request must not show the caller the first server's half answer. This pool
is for batch work (pre-generation, model evaluators), where nothing reads the text as it
comes.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from evalstudio.assist.backend import AssistError, GenerationParams, Message, ModelInfo, Stream
from evalstudio.assist.openai_http import OpenAICompatible, ServerSettings
from evalstudio.core.assistance import Outcome

REST_SECONDS = 30.0  # a failed server gets no new request for this long while another can


class ServerPool:
    """The Backend for `servers` (the same model behind each), `in_flight` requests at once."""

    def __init__(self, servers: Sequence[ServerSettings], in_flight: int) -> None:
        if not servers:
            raise AssistError("no server to send requests to")
        self.servers = [OpenAICompatible(s) for s in servers]
        self.in_flight = max(1, in_flight)
        self._busy = [0] * len(self.servers)
        self._rested_until = [0.0] * len(self.servers)
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(
            max_workers=self.in_flight, thread_name_prefix="evalstudio-pool"
        )

    def info(self) -> ModelInfo:
        first = self.servers[0].settings
        return ModelInfo("openai", first.model or "server default", first.base_url, None)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        seed = params.seed if params.seed is not None else random.SystemRandom().getrandbits(31)
        outer = Stream(seed)
        self._executor.submit(self._serve, outer, messages, params)
        return outer

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        tried: set[int] = set()
        failures: list[str] = []
        while (index := self._take(tried)) is not None:
            try:
                return self.servers[index].score(messages, options)
            except AssistError as e:
                failures.append(str(e))
                self._rest(index)
            finally:
                self._release(index)
        raise AssistError("every server failed: " + "; ".join(failures))

    def warm(self, variants: list[list[Message]]) -> Stream:
        return self.servers[0].warm(variants)  # servers keep their own prompt cache

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for server in self.servers:
            server.close()

    # --- on the pool's worker threads -----------------------------------------------------

    def _serve(self, outer: Stream, messages: list[Message], params: GenerationParams) -> None:
        tried: set[int] = set()
        failures: list[str] = []
        try:
            while (index := self._take(tried)) is not None:
                attempt = outer.attempt()
                try:
                    unserved = self.servers[index].serve(attempt, messages, params)
                finally:
                    self._release(index)
                if unserved is None:
                    _hand_over(attempt, outer)
                    return
                failures.append(unserved)
                self._rest(index)
            outer.finish(Outcome.ERROR, "every server failed: " + "; ".join(failures))
        except Exception as e:  # the caller must never wait for ever
            outer.finish(Outcome.ERROR, f"the server pool failed: {type(e).__name__}: {e}")

    def _take(self, tried: set[int]) -> int | None:
        """The server for a request's next attempt (added to `tried`, counted busy), None once
        each has been tried: the least busy of those not resting, else of those left."""
        with self._lock:
            left = [i for i in range(len(self.servers)) if i not in tried]
            if not left:
                return None
            now = time.monotonic()
            awake = [i for i in left if self._rested_until[i] <= now]
            index = min(awake or left, key=lambda i: self._busy[i])
            self._busy[index] += 1
            tried.add(index)
            return index

    def _release(self, index: int) -> None:
        with self._lock:
            self._busy[index] -= 1

    def _rest(self, index: int) -> None:
        with self._lock:
            self._rested_until[index] = time.monotonic() + REST_SECONDS


def _hand_over(attempt: Stream, outer: Stream) -> None:
    """The ended attempt's answer, counts and server into the caller's stream, and its end."""
    outer.served_by = attempt.served_by
    outer.prompt_tokens = attempt.prompt_tokens
    outer.completion_tokens = attempt.completion_tokens
    outer.first_chunk_at = attempt.first_chunk_at
    if attempt.text:
        outer.push(attempt.text)
    outer.finish(attempt.outcome, attempt.error)
