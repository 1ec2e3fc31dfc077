"""Pre-generation: the assistance of a whole study computed ahead, so every evaluator sees the
same response instantly. Resumable: what is already stored for the model is skipped."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.services.assistance import Assistant
from evalstudio.services.studies import study_items


@dataclass(frozen=True)
class PregenProgress:
    done: int  # requests finished or skipped so far
    total: int
    generated_tokens: int
    seconds: float  # spent generating in this run

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class PregenReport:
    generated: int
    skipped: int  # already stored before this run
    failed: list[str]  # one message per request that ended in an error


def pregenerate(
    assistant: Assistant,
    study_id: str,
    kinds: Sequence[AssistKind],
    *,
    on_progress: Callable[[PregenProgress], None] | None = None,
    max_tokens: int | None = None,
) -> PregenReport:
    """Generate and store every (item, kind) response of the study that is not stored yet.

    An interrupt (KeyboardInterrupt) cancels the request in flight, which is logged as
    cancelled; running again resumes with the first response still missing.
    """
    items = study_items(assistant.workspace, study_id)
    total = len(items) * len(kinds)
    generated = skipped = tokens = 0
    seconds = 0.0
    failed: list[str] = []

    def report() -> None:
        if on_progress is not None:
            done = generated + skipped + len(failed)
            on_progress(PregenProgress(done, total, tokens, seconds))

    for item in items:
        missing = [k for k in kinds if assistant.stored(item.item_id, k) is None]
        skipped += len(kinds) - len(missing)
        if not missing:
            report()
            continue
        assistant.open_item(item.item_id)
        for kind in missing:
            start = time.monotonic()
            # An interrupt inside wait() cancels the request and logs it as cancelled.
            event = assistant.request(
                item.item_id, kind, pregenerated=True, max_tokens=max_tokens
            ).wait()
            seconds += time.monotonic() - start
            tokens += event.completion_tokens or 0
            if event.outcome is Outcome.DONE:
                generated += 1
            else:
                failed.append(f"item {item.position + 1} {kind.value}: {event.error}")
            report()
    return PregenReport(generated, skipped, failed)
