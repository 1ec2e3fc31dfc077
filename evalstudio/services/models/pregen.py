"""Pre-generation: the assistance of a whole study computed ahead, so every evaluator sees the
same response instantly. Resumable: what is already stored for the model is skipped.

An item an evaluator gets under the misleading condition also gets responses prepared for that
evaluator, manipulated as their draw says (the draw is per evaluator × item): a session
package carries no truth to manipulate with, and a prepared response is as fast as the
shared ones beside it (docs/session-packages.md). The shared responses are made first: a
prepared critique lists as many points as an honest one of its verdict, drawn from the study's
shared critiques (core/misleading.py, `HonestPoints`), so the number tells nothing.

Over a server, `concurrency` requests are in flight at once (services/models/in_flight.py);
which ends first changes nothing stored but the order of the rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome
from evalstudio.core.comparison import Layout
from evalstudio.core.misleading import HonestPoints, Misleading
from evalstudio.core.model import ItemView
from evalstudio.services.assistance.assistant import Assistant, critique_of, study_misleading
from evalstudio.services.models.in_flight import Ended, Steps, awaited, run_concurrently
from evalstudio.services.studies.studies import study_items
from evalstudio.store import assignments, designs, studies

Wanted = tuple[ItemView, AssistKind, str | None]  # a response, and whom it is prepared for


@dataclass(frozen=True)
class PregenProgress:
    done: int  # requests finished or skipped so far
    total: int
    generated_tokens: int
    seconds: float  # since this run started
    in_flight: int = 0  # requests being generated

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
    concurrency: int = 1,
) -> PregenReport:
    """Generate and store every (item, kind) response of the study that is not stored yet,
    `concurrency` at once.

    An interrupt (KeyboardInterrupt) cancels the requests in flight, which are logged as
    cancelled; running again resumes with the first response still missing.
    """
    workspace = assistant.workspace
    # Assistance on compare and rank items is not built: nothing to prepare for them.
    items = [i for i in study_items(workspace, study_id) if i.layout is Layout.SINGLE]
    study = studies.study_by_id(workspace.db, study_id)
    assert study is not None
    misleading = study_misleading(study, designs.design_of(workspace.db, study_id))
    prepared_for = assignments.misleading_by_item(workspace.db, study_id)
    total = sum(1 + len(prepared_for.get(item.item_id, ())) for item in items) * len(kinds)
    generated = skipped = tokens = 0
    started = time.monotonic()
    failed: list[str] = []

    def report(in_flight: int) -> None:
        if on_progress is not None:
            done = generated + skipped + len(failed)
            seconds = time.monotonic() - started
            on_progress(PregenProgress(done, total, tokens, seconds, in_flight))

    # Two rounds: every shared (honest) response, then the prepared ones, whose critiques
    # draw their number of points from the shared critiques of the whole study.
    for prepared in (False, True):
        if prepared and AssistKind.CRITIQUE in kinds:
            shared = (assistant.stored(item.item_id, AssistKind.CRITIQUE) for item in items)
            honest = HonestPoints.of(critique_of(e.response) for e in shared if e is not None)
            misleading = replace(misleading, honest_points=honest)
        missing: list[Wanted] = []
        for item in items:
            whom = prepared_for.get(item.item_id, ()) if prepared else (None,)
            wanted = [(k, e) for e in whom for k in kinds]
            left = [(k, e) for k, e in wanted if assistant.stored(item.item_id, k, e) is None]
            skipped += len(wanted) - len(left)
            if wanted and not left:
                report(0)
            missing += [(item, k, e) for k, e in left]

        def ended(end: Ended[AssistEvent], missing: list[Wanted] = missing) -> None:
            nonlocal generated, tokens
            item, kind, evaluator = missing[end.index]
            event = end.result
            if end.error is not None or event is None:
                raise end.error or AssertionError("a request ended with no row")
            tokens += event.completion_tokens or 0
            if event.outcome is Outcome.DONE:
                generated += 1
            else:
                whose = f" (prepared for evaluator {evaluator})" if evaluator else ""
                failed.append(f"item {item.position + 1} {kind.value}{whose}: {event.error}")
            report(end.in_flight)

        tasks = [
            partial(_request, assistant, item, kind, evaluator, misleading, max_tokens, opens)
            for n, (item, kind, evaluator) in enumerate(missing)
            for opens in [n == 0 or missing[n - 1][0].item_id != item.item_id]
        ]
        run_concurrently(tasks, concurrency, ended)
    return PregenReport(generated, skipped, failed)


def _request(
    assistant: Assistant,
    item: ItemView,
    kind: AssistKind,
    evaluator: str | None,
    misleading: Misleading,
    max_tokens: int | None,
    opens: bool,
) -> Steps[AssistEvent]:
    """One response to pre-generate, shared or prepared for `evaluator`; `opens`: the first
    of its item's (a local model warms the item's shared prefix meanwhile)."""
    if opens:
        assistant.open_item(item.item_id)
    run = assistant.request(
        item.item_id,
        kind,
        pregenerated=True,
        prepared_for=evaluator,
        misleading=misleading if evaluator else None,
        max_tokens=max_tokens,
    )
    return (yield from awaited(run))
