"""The bundled model's own replies, replayed: a Backend for tests whose subject is not the model
(the review window, sessions, merges, reports) so they run without waiting on inference.

Every reply in `replies.jsonl` was written by the real bundled model for that exact request
(`make record-replies` runs the suite with EVALSTUDIO_REPLAY=record). A request is keyed by
everything that decides its text — the messages, max_tokens, temperature, the JSON schema,
and the seed when the request fixes one — so a replay is a reply the model gave to that very
request. A request not in the recording is passed to the real model (loaded on first need)
and counted; the session's summary names how many, so a stale recording shows up as a slower
run, never as a wrong one. Tests whose subject is the model (marker `model`) use the real
model directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evalstudio.assist.backend import Backend, GenerationParams, Message, ModelInfo, Stream
from evalstudio.core.assistance import Outcome

RECORDING = Path(__file__).with_name("replies.jsonl")
REPLAYS: list[ReplayBackend] = []  # the session's replay, for the run's summary
CHUNK_CHARS = 4  # about a token
# Between replayed chunks: about the bundled model's pace here (~100 tokens/s), so a stream
# still takes the moment a test may need to stop it mid-way.
CHUNK_S = 0.01


def recording_mode() -> bool:
    return os.environ.get("EVALSTUDIO_REPLAY") == "record"


class ReplayBackend:
    def __init__(self, real: Callable[[], Backend], path: Path = RECORDING) -> None:
        self._real_factory = real
        self._real: Backend | None = None
        self._path = path
        self._lock = threading.Lock()
        self._replies: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self._replies[entry["key"]] = entry
        self._new: dict[str, dict[str, Any]] = {}
        self.misses = 0
        self.hits = 0
        REPLAYS.append(self)

    # --- the Backend protocol ---------------------------------------------------------------
    def info(self) -> ModelInfo:
        entry = self._replies.get("info")
        if entry is None:
            info = self.real().info()
            entry = {"key": "info", "info": [info.backend, info.model_id, info.path, info.n_ctx]}
            self._remember(entry)
        backend, model_id, path, n_ctx = entry["info"]
        return ModelInfo(backend, model_id, path, n_ctx)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        key = _key("stream", messages, _decisive(params))
        entry = self._replies.get(key)
        if entry is None:
            entry = self._record_reply(key, messages, params)
        else:
            self.hits += 1
        stream = Stream(params.seed)
        stream.prompt_tokens, stream.completion_tokens = entry["tokens"]

        text = entry["text"]

        def produce() -> None:
            for at in range(0, len(text), CHUNK_CHARS):
                if stream.cancelled:
                    # What an engine reports when stopped: the tokens generated so far.
                    if stream.completion_tokens is not None:
                        stream.completion_tokens = stream.completion_tokens * at // len(text)
                    stream.finish(Outcome.CANCELLED)
                    return
                time.sleep(CHUNK_S)
                stream.push(text[at : at + CHUNK_CHARS])
            stream.finish(Outcome(entry["outcome"]), entry["error"])

        threading.Thread(target=produce, daemon=True).start()
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return self._scored("score", messages, options)

    def score_cached(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return self._scored("score_cached", messages, options)

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)  # nothing to warm: replies are at hand
        return stream

    def close(self) -> None:
        if self._real is not None:
            self._real.close()

    # --- recording ----------------------------------------------------------------------------
    def real(self) -> Backend:
        with self._lock:
            if self._real is None:
                self._real = self._real_factory()
            return self._real

    def _scored(
        self, name: str, messages: list[Message], options: Sequence[str]
    ) -> dict[str, float]:
        key = _key(name, messages, {"options": list(options)})
        entry = self._replies.get(key)
        if entry is not None:
            self.hits += 1
            return dict(entry["scores"])
        self.misses += 1
        real = self.real()
        scored = getattr(real, name, real.score)(messages, options)
        self._remember({"key": key, "scores": scored})
        return scored

    def _record_reply(
        self, key: str, messages: list[Message], params: GenerationParams
    ) -> dict[str, Any]:
        """The real model's whole reply, generated before it is replayed: a test that stops a
        stream mid-way still gets a reply it can stop, and the recording gets the whole of it."""
        self.misses += 1
        real = self.real().stream(messages, params)
        real.wait()
        entry = {
            "key": key,
            "text": real.text,
            "tokens": [real.prompt_tokens, real.completion_tokens],
            "outcome": real.outcome.value,
            "error": real.error,
        }
        self._remember(entry)
        return entry

    def _remember(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._replies[entry["key"]] = entry
            self._new[entry["key"]] = entry

    def save(self) -> int:
        """Append what the real model answered in this run to the recording (record mode)."""
        with self._lock:
            new = list(self._new.values())
            self._new.clear()
        if new:
            with self._path.open("a", encoding="utf-8") as out:
                for entry in new:
                    out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        return len(new)


def _decisive(params: GenerationParams) -> dict[str, Any]:
    """What decides a reply's text. An unfixed seed is drawn afresh per request, so any reply
    the model gave to these messages is one it could give again."""
    return {
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "json_schema": params.json_schema,
        "seed": params.seed if params.reproducible else None,
    }


def _key(name: str, messages: list[Message], extra: dict[str, Any]) -> str:
    text = json.dumps([name, messages, extra], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
