"""Pre-generation: the assistance of a whole study computed ahead, so every evaluator sees the
same response instantly. Resumable: what is already stored for the model is skipped.

An item an evaluator gets under the misleading condition also gets responses prepared for that
evaluator, manipulated as their draw says (the draw is per evaluator × item): a session
package carries no truth to manipulate with, and a prepared response is as fast as the
shared ones beside it (docs/session-packages.md). The shared responses are made first: a
prepared critique lists as many points as an honest one of its verdict, drawn from the study's
shared critiques (core/misleading.py, `HonestPoints`), so the number tells nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.misleading import HonestPoints
from evalstudio.services.assistance.assistant import Assistant, critique_of, study_misleading
from evalstudio.services.studies.studies import study_items
from evalstudio.store import assignments, designs, studies


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
    workspace = assistant.workspace
    items = study_items(workspace, study_id)
    study = studies.study_by_id(workspace.db, study_id)
    assert study is not None
    misleading = study_misleading(study, designs.design_of(workspace.db, study_id))
    prepared_for = assignments.misleading_by_item(workspace.db, study_id)
    total = sum(1 + len(prepared_for.get(item.item_id, ())) for item in items) * len(kinds)
    generated = skipped = tokens = 0
    seconds = 0.0
    failed: list[str] = []

    def report() -> None:
        if on_progress is not None:
            done = generated + skipped + len(failed)
            on_progress(PregenProgress(done, total, tokens, seconds))

    # Two rounds: every shared (honest) response, then the prepared ones, whose critiques
    # draw their number of points from the shared critiques of the whole study.
    for prepared in (False, True):
        if prepared and AssistKind.CRITIQUE in kinds:
            shared = (assistant.stored(item.item_id, AssistKind.CRITIQUE) for item in items)
            honest = HonestPoints.of(critique_of(e.response) for e in shared if e is not None)
            misleading = replace(misleading, honest_points=honest)
        for item in items:
            whom = prepared_for.get(item.item_id, ()) if prepared else (None,)
            wanted = [(k, e) for e in whom for k in kinds]
            missing = [(k, e) for k, e in wanted if assistant.stored(item.item_id, k, e) is None]
            skipped += len(wanted) - len(missing)
            if not missing:
                if wanted:
                    report()
                continue
            assistant.open_item(item.item_id)
            for kind, evaluator in missing:
                start = time.monotonic()
                # An interrupt inside wait() cancels the request and logs it as cancelled.
                event = assistant.request(
                    item.item_id,
                    kind,
                    pregenerated=True,
                    prepared_for=evaluator,
                    misleading=misleading if evaluator else None,
                    max_tokens=max_tokens,
                ).wait()
                seconds += time.monotonic() - start
                tokens += event.completion_tokens or 0
                if event.outcome is Outcome.DONE:
                    generated += 1
                else:
                    whose = f" (prepared for evaluator {evaluator})" if evaluator else ""
                    failed.append(f"item {item.position + 1} {kind.value}{whose}: {event.error}")
                report()
    return PregenReport(generated, skipped, failed)
