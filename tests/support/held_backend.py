"""A model that keeps talking until it is stopped: a stream is running for as long as a test
needs one (to stop it, or to act while it runs), with no timing to race against."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from evalstudio.assist.backend import GenerationParams, Message, ModelInfo, Stream
from evalstudio.core.assistance import Outcome

CHUNK_WAIT_S = 0.02  # between words: the panel repaints as it would with a real model
MAX_CHUNKS = 3000  # a test that forgets to stop it still ends (a minute)


class HeldBackend:
    """Streams `replies` in turn, each whole and finished; after them, "word " until
    cancelled. Answers yes/no scores evenly."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)

    def info(self) -> ModelInfo:
        return ModelInfo("held", "held-model", "", 4096)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        stream = Stream(params.seed)
        stream.prompt_tokens = 10
        if self.replies:
            stream.push(self.replies.pop(0))
            stream.completion_tokens = 1
            stream.finish(Outcome.DONE)
            return stream

        def produce() -> None:
            for count in range(MAX_CHUNKS):
                time.sleep(CHUNK_WAIT_S)
                if stream.cancelled:
                    stream.completion_tokens = count
                    stream.finish(Outcome.CANCELLED)
                    return
                stream.push("word ")
            stream.completion_tokens = MAX_CHUNKS
            stream.finish(Outcome.DONE)

        threading.Thread(target=produce, daemon=True).start()
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return dict.fromkeys(options, -0.7)

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass
