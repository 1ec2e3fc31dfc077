"""A model evaluator works through a study as a person does, through the same ReviewSession
the review window uses: it opens the item, commits a first verdict on an assisted item, asks
the assistant (live, logged, manipulated as the item's condition says) or is shown the stored
response, reads it, and submits its final judgment. Its own requests to its model are logged
in `judge_calls`; its judgments and assist events are stored like anyone's, under an evaluator
profile of kind "model" (kept out of the report's human figures unless asked for).

Every request carries a seed derived from the profile's seed and the item, and is evaluated
afresh (GenerationParams.reproducible), so the same profile replays the same run. Over a
server, several items are judged at once (`concurrency`; services/models/in_flight.py says
how the workspace stays on one thread); a result never depends on which item ended first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial

from evalstudio.assist.backend import AssistError, Backend, GenerationParams, Stream, answer
from evalstudio.assist.prompts import ItemContext
from evalstudio.core.assistance import AssistEvent, AssistKind, Outcome
from evalstudio.core.comparison import Layout
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.ids import new_id
from evalstudio.core.model import Evaluator, EvaluatorKind, Study
from evalstudio.core.model_evaluator import (
    EvaluatorProfile,
    JudgeCall,
    JudgeRequest,
    assistance_text,
    form_from_reply,
    judgment_schema,
)
from evalstudio.core.review import Condition, Stage
from evalstudio.core.seeds import derived_seed, request_digest
from evalstudio.services.assistance.assistant import Assistant, critique_of, item_context
from evalstudio.services.assistance.model_roles import Role, describe, open_roles
from evalstudio.services.models.in_flight import Ended, Steps, awaited, run_concurrently, run_steps
from evalstudio.services.review.session import QueueEntry, ReviewSession
from evalstudio.services.studies.studies import study_items
from evalstudio.services.workspace.evaluators import add_evaluator, list_evaluators
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import assignments, assist_log, model_evaluators


class ModelEvaluatorError(EvalStudioError):
    """A model evaluator could not judge an item (its model failed or was cut short)."""


@dataclass(frozen=True)
class ItemDone:
    """One item judged, how long it took, and the tokens its model requests generated
    (answers replayed from the log not counted)."""

    item_id: str
    seconds: float
    tokens: int = 0


@dataclass(frozen=True)
class Progress:
    done: int  # items judged (in this and earlier runs)
    total: int
    last: ItemDone
    label: str  # whose item: the evaluator, or the sweep's cell
    in_flight: int = 0  # items still being judged
    tokens: int = 0  # generated in this run
    seconds: float = 0.0  # since this run started

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass
class RunResult:
    resumed: bool  # earlier runs had judged some of the items (set by work_through)
    run_id: str | None = None  # a sweep's
    judged: int = 0  # items judged by this run
    seconds: float = 0.0
    failed: list[str] = field(default_factory=list)  # one line per item left undone


def add_model_evaluator(workspace: Workspace, name: str, profile: EvaluatorProfile) -> Evaluator:
    """A new evaluator profile of kind "model" with its frozen settings."""
    evaluator = add_evaluator(workspace, name, EvaluatorKind.MODEL)
    db = workspace.db
    with db.atomic():
        model_evaluators.insert_profile(db, evaluator.id, profile.to_json(), now())
    return evaluator


class ModelEvaluator:
    """Plays one model evaluator through its queue of a study. `judge` is its own model;
    `assistant` answers its requests for help (it may share the judge's backend)."""

    def __init__(
        self,
        workspace: Workspace,
        study: Study,
        evaluator: Evaluator,
        judge: Backend,
        assistant: Assistant,
    ) -> None:
        self.session = ReviewSession(workspace, study, evaluator)
        if self.session.profile is None:
            raise EvalStudioError(f"'{evaluator.name}' is not a model evaluator")
        self.profile: EvaluatorProfile = self.session.profile
        self.workspace = workspace
        self.judge = judge
        self.assistant = assistant
        self.prompts = assistant.prompts  # one book of templates for both roles

    @property
    def judged(self) -> list[QueueEntry]:
        """The queue's items a model evaluator judges: single answers (a model does not
        compare or rank yet; those items stay for people)."""
        return [e for e in self.session.queue if e.item.layout is Layout.SINGLE]

    def remaining(self) -> list[QueueEntry]:
        return [e for e in self.judged if e.item.item_id not in self.session.done]

    def judge_item(self, entry: QueueEntry) -> ItemDone:
        """Judge one item to the end, resuming what an interrupted run left: a committed first
        verdict is kept, a finished response of the assistant is read again, not re-asked."""
        return run_steps(self.item_steps(entry))

    def item_steps(self, entry: QueueEntry) -> Steps[ItemDone]:
        """`judge_item` as steps, each model request yielded (services/models/in_flight.py)."""
        item_id = entry.item.item_id
        started = time.monotonic()
        self.session.opened(item_id)
        _, context = item_context(self.workspace, item_id)
        position = self.session.index_of(item_id)
        every = self.profile.assist_every
        helped = entry.condition.assisted and every > 0 and position % every == 0
        first_reply = None
        tokens = 0
        if helped and self.session.first_verdict_needed(entry):
            state = self.session.state(item_id)
            if state.item.first is None:
                tokens += yield from self._submit(entry, context, Stage.FIRST, None, None, started)
            db = self.workspace.db
            first_reply = model_evaluators.last_reply(
                db, self.session.evaluator.id, item_id, Stage.FIRST
            )
        assistance = None
        if helped:
            event, generated = yield from self._assistance(entry)
            tokens += generated
            assistance = assistance_text(critique_of(event.response), event.response)
        tokens += yield from self._submit(
            entry, context, Stage.FINAL, first_reply, assistance, started
        )
        return ItemDone(item_id, time.monotonic() - started, tokens)

    # -- the assistance ---------------------------------------------------------------------

    def _assistance(self, entry: QueueEntry) -> Steps[tuple[AssistEvent, int]]:
        """The critique the evaluator reads: stored and shown, its own finished one from an
        interrupted run, or a new request (as the item's condition says); with the tokens
        generated for it."""
        item_id, me = entry.item.item_id, self.session.evaluator.id
        model_id = self.assistant.backend.info().model_id
        stored = self.session.stored_response(entry, AssistKind.CRITIQUE, model_id)
        if stored is not None:
            self.session.shown(item_id, stored.id)
            return stored, 0
        for event in reversed(assist_log.events_of_item(self.workspace.db, item_id, me)):
            if event.kind is AssistKind.CRITIQUE and event.outcome is Outcome.DONE:
                return event, 0
        try:
            run = self.assistant.request(
                item_id,
                AssistKind.CRITIQUE,
                evaluator_id=me,
                misleading=self.session.misleading(entry),
                seed=derived_seed(self.profile.seed, item_id, "assistance"),
                max_tokens=self.profile.assistant.max_tokens if self.profile.assistant else None,
            )
        except AssistError as e:
            raise ModelEvaluatorError(f"the assistant failed: {e}") from e
        event = yield from awaited(run)
        if event.outcome is not Outcome.DONE:
            raise ModelEvaluatorError(f"the assistant failed: {event.error or event.outcome}")
        return event, 0 if run.stream.replayed else event.completion_tokens or 0

    # -- the judge ----------------------------------------------------------------------------

    def _submit(
        self,
        entry: QueueEntry,
        context: ItemContext,
        stage: Stage,
        first_reply: str | None,
        assistance: str | None,
        started: float,
    ) -> Steps[int]:
        """Ask the judge for a judgment at `stage` (or replay the same request's reply) and
        submit it, with the call that made it, in one transaction; the tokens generated."""
        item = entry.item
        messages = self.prompts.judge(context, first_reply, assistance)
        params = GenerationParams(
            max_tokens=self.profile.judge.max_tokens,
            temperature=self.profile.judge.temperature,
            seed=derived_seed(self.profile.seed, item.item_id, stage.value),
            json_schema=judgment_schema(len(item.candidate.splitlines()), stage),
            reproducible=True,
        )
        digest = request_digest(self.profile.judge.identity, messages, asdict(params))
        requested_at = now()
        earlier = model_evaluators.answered_call(self.workspace.db, digest)
        request = JudgeRequest(
            id=new_id(),
            evaluator_id=self.session.evaluator.id,
            study_item_id=item.item_id,
            stage=stage,
            messages=messages,
            params=asdict(params),
            seed=params.seed,
            request_sha256=digest,
            requested_at=requested_at,
            reused_from=earlier["id"] if earlier else None,
        )
        stream = answer(self.judge, messages, params, earlier)
        try:
            yield stream
        except BaseException:  # an interrupt: stop the model, log the call, let it through
            stream.cancel()
            stream.wait()
            self._log_call(request, Outcome.CANCELLED, None, stream)
            raise
        active_ms = int((time.monotonic() - started) * 1000)
        form = form_from_reply(stream.text, item.candidate, item.kind, stage, active_ms)
        if stream.outcome is not Outcome.DONE or form is None:
            error = stream.error or (
                f"the reply is not a complete judgment ({stream.completion_tokens} tokens; "
                "cut short by --evaluator-max-tokens?)"
            )
            self._log_call(request, Outcome.ERROR, error, stream)
            raise ModelEvaluatorError(error)
        with self.workspace.db.atomic():  # the judgment and the call that made it, or neither
            judgment = self.session.submit(item.item_id, stage, form)
            self._log_call(request, Outcome.DONE, None, stream, judgment.id)
        return 0 if stream.replayed else stream.completion_tokens or 0

    def _log_call(
        self,
        request: JudgeRequest,
        outcome: Outcome,
        error: str | None,
        stream: Stream,
        judgment_id: str | None = None,
    ) -> None:
        db = self.workspace.db
        with db.atomic():
            model_evaluators.insert_call(
                db,
                JudgeCall(
                    request=request,
                    response=stream.text,
                    outcome=outcome,
                    error=error,
                    prompt_tokens=stream.prompt_tokens,
                    completion_tokens=stream.completion_tokens,
                    judgment_id=judgment_id,
                    ended_at=now(),
                    served_by=stream.served_by,
                ),
            )


def work_through(
    players: list[tuple[str, ModelEvaluator]],
    result: RunResult,
    on_progress: Callable[[Progress], None] | None,
    concurrency: int = 1,
) -> RunResult:
    """Judge every remaining item of each (label, player), in that order, `concurrency` items
    at once. An item whose model fails is reported and left undone (a rerun retries it); an
    interrupt stops after logging every request in flight as cancelled."""
    total = sum(len(player.judged) for _, player in players)
    done = sum(
        sum(e.item.item_id in player.session.done for e in player.judged) for _, player in players
    )
    result.resumed = done > 0
    work = [(label, player, entry) for label, player in players for entry in player.remaining()]
    started, tokens = time.monotonic(), 0

    def ended(end: Ended[ItemDone]) -> None:
        nonlocal done, tokens
        label, _, entry = work[end.index]
        if isinstance(end.error, ModelEvaluatorError):
            result.failed.append(f"{label}: item {entry.item.position + 1}: {end.error}")
            return
        if end.error is not None:
            raise end.error
        item = end.result
        assert item is not None
        done += 1
        tokens += item.tokens
        result.judged += 1
        result.seconds += item.seconds
        if on_progress is not None:
            elapsed = time.monotonic() - started
            on_progress(Progress(done, total, item, label, end.in_flight, tokens, elapsed))

    tasks = [partial(player.item_steps, entry) for _, player, entry in work]
    run_concurrently(tasks, concurrency, ended)
    return result


def judge_study(
    workspace: Workspace,
    study: Study,
    name: str,
    judge: Role,
    assistant: Role,
    *,
    condition: Condition,
    assist_every: int,
    seed: str,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunResult:
    """Let the model evaluator `name` judge every item of the study under `condition` (the
    study's own misleading settings apply). A new name makes a new profile; the name of an
    earlier model evaluator resumes it, with the settings it was made with. Items are judged
    as many at once as both roles' backends take (their `in_flight`)."""
    existing = next((e for e in list_evaluators(workspace) if e.name == name.strip()), None)
    if existing is not None and existing.kind is not EvaluatorKind.MODEL:
        raise EvalStudioError(f"'{name}' is a person's profile; name the model evaluator otherwise")
    with open_roles(workspace, judge, assistant) as (backend, helper):
        roles = describe(workspace, judge, backend), describe(workspace, assistant, helper.backend)
        if existing is None:
            profile = EvaluatorProfile(
                judge=roles[0],
                assistant=roles[1],
                prompts=helper.prompts.digests,
                seed=seed,
                assist_every=assist_every,
            )
            items = [(v.item_id, condition) for v in study_items(workspace, study.id)]
            with workspace.db.atomic():  # the profile and its queue, or neither
                existing = add_model_evaluator(workspace, name, profile)
                assignments.insert_assignments(workspace.db, study.id, existing.id, items)
        player = ModelEvaluator(workspace, study, existing, backend, helper)
        if (player.profile.judge, player.profile.assistant) != roles:
            was = player.profile.judge
            raise EvalStudioError(
                f"'{name}' was made with other model settings (judge {was.spec}, temperature "
                f"{was.temperature}, max tokens {was.max_tokens}): resume it with those, or "
                "give a new name"
            )
        width = min(judge.settings.in_flight, assistant.settings.in_flight)
        return work_through([(name, player)], RunResult(resumed=False), on_progress, width)
