"""Requesting assistance on an item: prompt, stream, log. Every request is written to the store
when it starts and completed when it ends, so a crash leaves an incomplete row, never none."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from evalstudio.assist.backend import (
    AssistError,
    Backend,
    GenerationParams,
    Message,
    Stream,
    answer,
)
from evalstudio.assist.comparison import advice_schema, advice_text, parse_advice
from evalstudio.assist.critique import (
    expert_critique_text,
    expert_schema,
    parse_critique,
    parse_partial_critique,
    plan_schema,
)
from evalstudio.assist.prompts import AnswersContext, ItemContext, PromptBook
from evalstudio.core.assist_kinds import fits_all, spec
from evalstudio.core.assistance import (
    AssistEvent,
    AssistKind,
    Critique,
    Manipulation,
    Outcome,
)
from evalstudio.core.comparison import MUCH_BETTER, SIDE_LETTERS, Advice, Layout
from evalstudio.core.expert import AssistantSource, ExpertView, expert_view
from evalstudio.core.ids import new_id
from evalstudio.core.misleading import (
    NOT_MANIPULATED,
    Misalignment,
    Misleading,
    MisleadingPlan,
    drawn,
    plan_manipulation,
)
from evalstudio.core.model import Candidate, Study
from evalstudio.core.seeds import request_digest
from evalstudio.core.study_definition import StudyDefinition
from evalstudio.services.assistance.backends import ModelSettings, model_sha256, open_backend
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.services.workspace.resources import resources_dir
from evalstudio.store import assist_log, content


def study_misleading(study: Study, design: StudyDefinition | None) -> Misleading:
    """The study's misleading condition, as its review sessions and pre-generation apply it."""
    if design is None:
        return Misleading(study.misleading_p, seed=study.id)
    return Misleading(
        study.misleading_p, seed=study.id, misalignment=design.misalignment, source=design.assistant
    )


class AssistRun:
    """One request in flight. Iterate it (in one thread) for the text chunks; cancel() from any
    thread. The log row is completed when the iteration ends; `event` then holds it."""

    def __init__(self, workspace: Workspace, event_id: str, stream: Stream) -> None:
        self.workspace = workspace
        self.event_id = event_id
        self.stream = stream
        self.event: AssistEvent | None = None

    def __iter__(self) -> Iterator[str]:
        first = True
        try:
            for chunk in self.stream:
                if first:
                    self._update({"first_token_at": _at(self.stream, self.stream.first_chunk_at)})
                    first = False
                yield chunk
        finally:
            if not self.stream.wait(timeout=0):
                self.stream.cancel()  # the consumer left early: stop the model too
                self.stream.wait()
            self._finish()

    def cancel(self) -> None:
        self.stream.cancel()

    def wait(self) -> AssistEvent:
        """Consume the rest (if nobody iterates) and return the completed log row."""
        if self.event is None:
            for _ in self:
                pass
        assert self.event is not None
        return self.event

    def _update(self, fields: dict[str, Any]) -> None:
        db = self.workspace.db
        with db.atomic():
            assist_log.update_running(db, self.event_id, fields)

    def _finish(self) -> None:
        s = self.stream
        try:
            self._update(
                {
                    "outcome": s.outcome.value,
                    "error": s.error,
                    "response": s.text,
                    "prompt_tokens": s.prompt_tokens,
                    "completion_tokens": s.completion_tokens,
                    "first_token_at": _at(s, s.first_chunk_at),
                    "ended_at": _at(s, s.ended_at),
                    "served_by": s.served_by,
                }
            )
        except Exception as e:  # a value the store refuses must not leave the row 'running'
            _end_with_error(self.workspace, self.event_id, f"the answer could not be logged: {e}")
        self.event = assist_log.event(self.workspace.db, self.event_id)


def _end_with_error(workspace: Workspace, event_id: str, error: str) -> None:
    db = workspace.db
    with db.atomic():
        assist_log.update_running(
            db, event_id, {"outcome": Outcome.ERROR.value, "error": error, "ended_at": now()}
        )


def _at(stream: Stream, moment: float | None) -> str | None:
    """A stream's monotonic moment as a UTC timestamp (the row's requested_at is `started`)."""
    if moment is None:
        return None
    return (stream.started_utc + timedelta(seconds=moment - stream.started)).isoformat(
        timespec="microseconds"
    )


class Assistant:
    """The assistance use cases: warm an item, request a kind or a chat turn, regenerate,
    read a pre-generated response, score yes/no. Owns its backend. `adversary`, if given,
    writes the manipulated responses instead (a sweep's `--adversary-model`; its owner
    closes it)."""

    def __init__(
        self,
        workspace: Workspace,
        backend: Backend,
        settings: ModelSettings,
        adversary: Backend | None = None,
    ) -> None:
        self.workspace = workspace
        self.backend = backend
        self.settings = settings
        self.adversary = adversary
        self.prompts = PromptBook(resources_dir() / "prompts")
        self._warming: Stream | None = None
        self._sha256: dict[int, str | None] = {}  # per backend (by id), computed once

    @classmethod
    def start(cls, workspace: Workspace, settings: ModelSettings | None = None) -> Assistant:
        settings = settings or ModelSettings()
        return cls(workspace, open_backend(settings), settings)

    def close(self) -> None:
        self.stop_warming()
        self.backend.close()

    def stop_warming(self) -> None:
        """Drop the background warm-up of the current item, if one is queued or running."""
        if self._warming is not None:
            self._warming.cancel()
            self._warming.wait()
            self._warming = None

    def item_context(self, item_id: str, side: str | None = None) -> tuple[Candidate, ItemContext]:
        return item_context(self.workspace, item_id, side)

    def open_item(self, item_id: str, side: str | None = None) -> None:
        """The evaluator opened an item (of a compare item: the answer `side` on screen):
        evaluate its shared prompt prefix in the background, so the first request on it starts
        fast. A warm-up of the previous item is dropped."""
        if self._warming is not None:
            self._warming.cancel()  # no wait: the next job on the worker skips or aborts it
        _, item = self.item_context(item_id, side)
        self._warming = self.backend.warm(self.prompts.variants(item))

    def request(
        self,
        item_id: str,
        kind: AssistKind,
        *,
        evaluator_id: str | None = None,
        chat: list[Message] | None = None,
        regenerates: str | None = None,
        misleading: Misleading | None = None,
        pregenerated: bool = False,
        prepared_for: str | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        side: str | None = None,
    ) -> AssistRun:
        """Start a request; its log row is written before the model sees it. `side`: of a
        compare item, the answer (candidate id) a request about one answer is about; its
        misleading draw is the item's, so a manipulated assistant argues for the same side on
        both (a flawed twin vouched for, a correct one flagged). `prepared_for`:
        pre-generated for that evaluator (and manipulated as their draw says), not asked.
        `seed`: fixed (and the prompt evaluated afresh, so the response is a function of the
        request: one answered before is replayed, logged as a new row naming the one it
        replays), else a fresh random one. A manipulated FLIP first generates the honest
        critique it argues against (logged, with no evaluator). Under an expert source
        (`misleading.source`), an honest critique is the answer key's (core/expert.py): worded
        by the model and held to the key's lines, severity and verdict, or by the template
        without asking the model."""
        candidate, item = self.item_context(item_id, side)
        plan, basis_id = NOT_MANIPULATED, None
        if misleading is not None:
            who = misleading.key or evaluator_id or prepared_for or ""
            honest = None
            if misleading.misalignment is Misalignment.FLIP and drawn(
                p=misleading.p, seed=misleading.seed, evaluator_id=who, item_id=item_id, kind=kind
            ):
                # With a fixed seed the basis is the very critique an honest assistant gives
                # on this request (replayed if it was made before); the expert's, if it is one.
                basis = self.request(
                    item_id,
                    AssistKind.CRITIQUE,
                    seed=seed,
                    max_tokens=max_tokens,
                    misleading=replace(misleading, p=0.0),
                    side=side,
                ).wait()
                honest, basis_id = critique_of(basis.response).verdict, basis.id
                if honest is None:
                    raise AssistError(
                        "the honest critique a flipped response argues against gave no verdict "
                        f"({basis.error or 'cut short: raise max tokens'})"
                    )
            plan = plan_manipulation(
                p=misleading.p,
                seed=misleading.seed,
                evaluator_id=who,
                item_id=item_id,
                kind=kind,
                truth=candidate.truth,
                candidate=candidate.text,
                misalignment=misleading.misalignment,
                honest=honest,
                honest_points=misleading.points_to_copy,
            )
        source = misleading.source if misleading is not None else AssistantSource.MODEL
        expert = _expert_view(kind, source, plan, candidate)
        schema: dict[str, Any] | None
        if expert is not None:
            # The model words a flaw; the template words any, and a correct twin has none.
            worded = expert.flaw is not None and source is AssistantSource.EXPERT
            messages = self.prompts.expert(item, expert.flaw) if worded and expert.flaw else []
            schema = expert_schema(expert, candidate.text)
        else:
            messages = self.prompts.messages(item, kind, chat=chat, misleading=plan)
            schema = _schema(kind, plan, candidate.text)
        params = self._params(schema, max_tokens, seed)
        row: dict[str, Any] = {
            "id": new_id(),
            "study_item_id": item_id,
            "evaluator_id": evaluator_id,
            "kind": kind.value,
            "regenerates_id": regenerates,
            "chat": chat,
            "messages": messages,
            # Where an honest critique came from, when not from the model alone; which
            # answer of a compare item it is about.
            "params": asdict(params)
            | ({"source": source.value} if expert else {})
            | ({"side": side} if side else {}),
            "manipulated": int(plan.manipulation is not None),
            "manipulation": plan.manipulation.value if plan.manipulation else None,
            "misalignment": plan.misalignment.value if plan.misalignment else None,
            "basis_id": basis_id,
            "pregenerated": int(pregenerated or prepared_for is not None),
            "prepared_for": prepared_for,
        }
        # Worded by the template (or nothing to word: no flaw to report): no model asked.
        canned = expert_critique_text(expert, candidate.text) if expert and not messages else None
        return self._start(row, messages, params, bool(plan.manipulation), canned)

    def request_on_answers(
        self,
        item_id: str,
        kind: AssistKind,
        shown: tuple[str, ...],
        *,
        evaluator_id: str | None = None,
        chat: list[Message] | None = None,
        regenerates: str | None = None,
        misleading: Misleading | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> AssistRun:
        """A request about all the answers of a compare or rank item: a Comparison (which is
        better, held to assist/comparison.py's schema) or a chat question. `shown`: the
        item's candidate ids in the order the evaluator sees them, labelled A, B, ... so. In
        the misleading condition, on a perturbation pair, a drawn request argues for the
        flawed twin's side (its schema fixes `better` to it); under an expert source an honest
        Comparison is the answer key's (the correct twin, much better, the planted flaw as the
        reason), no model asked."""
        ctx, labels, pair = self._answers(item_id, kind, shown)
        argue_for = None
        if misleading is not None and pair is not None:
            who = misleading.key or evaluator_id or ""
            if drawn(
                p=misleading.p, seed=misleading.seed, evaluator_id=who, item_id=item_id, kind=kind
            ):
                argue_for = labels[shown.index(pair[1])]
        source = misleading.source if misleading is not None else AssistantSource.MODEL
        canned = None
        if kind is AssistKind.COMPARE and argue_for is None and source.expert and pair:
            canned = self._expert_advice(item_id, shown, labels, pair)
        messages = (
            [] if canned else self.prompts.about_answers(ctx, kind, chat=chat, argue_for=argue_for)
        )
        schema = advice_schema(labels, argue_for) if kind is AssistKind.COMPARE else None
        params = self._params(schema, max_tokens, seed)
        row: dict[str, Any] = {
            "id": new_id(),
            "study_item_id": item_id,
            "evaluator_id": evaluator_id,
            "kind": kind.value,
            "regenerates_id": regenerates,
            "chat": chat,
            "messages": messages,
            "params": asdict(params)
            | {"shown": list(shown)}
            | ({"source": source.value} if canned else {}),
            "manipulated": int(argue_for is not None),
            # A comparison argued for the flawed twin vouches for it, as a PASS does.
            "manipulation": Manipulation.PASS.value if argue_for else None,
            "misalignment": Misalignment.ADVERSARIAL.value if argue_for else None,
            "basis_id": None,
            "pregenerated": 0,
            "prepared_for": None,
        }
        return self._start(row, messages, params, argue_for is not None, canned)

    def _answers(
        self, item_id: str, kind: AssistKind, shown: tuple[str, ...]
    ) -> tuple[AnswersContext, tuple[str, ...], tuple[str, str] | None]:
        """What the model is told of a compare or rank item's answers, their labels, and the
        item's (correct, flawed) twins when it is a perturbation pair."""
        db = self.workspace.db
        item = content.study_item(db, item_id)
        if item is None or item.layout is Layout.SINGLE:
            raise AssistError(f"'{item_id}' is not a compare or rank item")
        if not fits_all(kind, item.layout):
            raise AssistError(f"{spec(kind).label} is not asked of a {item.layout} item's answers")
        if sorted(shown) != sorted(item.slots):
            raise AssistError("the answers shown are not this item's")
        found = content.task_and_candidate(db, item_id)
        assert found is not None
        task = found[0]
        texts = {cid: _answer(self.workspace, item_id, cid).text for cid in shown}
        labels = tuple(SIDE_LETTERS[: len(shown)])
        ctx = AnswersContext(
            task.prompt,
            tuple((label, texts[cid]) for label, cid in zip(labels, shown, strict=True)),
            task.language,
            task.reference,
            task.conversation,
        )
        return ctx, labels, content.compared_pair(db, item_id)

    def _expert_advice(
        self, item_id: str, shown: tuple[str, ...], labels: tuple[str, ...], pair: tuple[str, str]
    ) -> str:
        """The answer key's comparison of a pair: the correct twin much better, because of the
        flawed twin's planted flaw."""
        found = content.task_and_candidate(self.workspace.db, item_id, pair[1])
        assert found is not None
        flaw = found[1].flaw
        worse = labels[shown.index(pair[1])]
        reason = (
            f"Answer {worse} has a flaw: {flaw.description}"
            if flaw
            else f"Answer {worse} is flawed."
        )
        return advice_text(labels[shown.index(pair[0])], MUCH_BETTER, (reason,))

    def _params(
        self, schema: dict[str, Any] | None, max_tokens: int | None, seed: int | None
    ) -> GenerationParams:
        return GenerationParams(
            max_tokens=max_tokens or self.settings.max_tokens,
            temperature=self.settings.temperature,
            # Fresh per request, so Regenerate differs, also after a restart; logged.
            seed=seed if seed is not None else random.SystemRandom().getrandbits(31),
            json_schema=schema,
            reproducible=seed is not None,
        )

    def _start(
        self,
        row: dict[str, Any],
        messages: list[Message],
        params: GenerationParams,
        manipulated: bool,
        canned: str | None,
    ) -> AssistRun:
        """Log the request and start it: on the adversary's backend when manipulated and there
        is one; `canned`, a response no model is asked for (logged with no seed or tokens)."""
        backend = self.adversary if manipulated and self.adversary else self.backend
        try:
            info = backend.info()
        except AssistError as e:
            self._log_failure(row, e)
            raise
        sha256 = self._sha_of(backend)
        row |= {
            "backend": info.backend,
            "model_id": info.model_id,
            "model_sha256": sha256,
            "params": row["params"] | {"n_ctx": info.n_ctx},
            "seed": params.seed,
        }
        item_id = row["study_item_id"]
        seed = params.seed if params.reproducible else None
        if canned is not None:
            row |= {"seed": None, "requested_at": now(), "reused_from": None}
            self._insert(row)
            return AssistRun(self.workspace, row["id"], _said(canned))
        earlier = None
        if seed is not None:
            model = sha256 or f"{info.backend}:{info.model_id}"
            row["request_sha256"] = request_digest(model, messages, row["params"])
            earlier = assist_log.answered(self.workspace.db, item_id, row["request_sha256"])
        # The row is written before the model sees the request: a crash at any later moment
        # leaves a 'running' row, never a missing one.
        self._insert(
            row | {"requested_at": now(), "reused_from": earlier["id"] if earlier else None}
        )
        try:
            stream = answer(backend, messages, params, earlier)
        except Exception as e:  # the backend could not take the request: its row ends here
            _end_with_error(self.workspace, row["id"], f"the request could not start: {e}")
            raise AssistError(f"the request could not start: {e}") from e
        return AssistRun(self.workspace, row["id"], stream)

    @property
    def model_file_sha256(self) -> str | None:
        """SHA-256 of the local model file (None for a server), computed once."""
        return self._sha_of(self.backend)

    def _sha_of(self, backend: Backend) -> str | None:
        if id(backend) not in self._sha256:
            self._sha256[id(backend)] = model_sha256(self.workspace, backend.info())
        return self._sha256[id(backend)]

    def _insert(self, row: dict[str, Any]) -> None:
        db = self.workspace.db
        with db.atomic():
            assist_log.start_event(db, row)

    def _log_failure(self, row: dict[str, Any], error: AssistError) -> None:
        """A request the backend could not even start is logged as an error all the same."""
        backend, model = self.settings.backend_and_model()
        stamp = now()
        self._insert(
            row
            | {
                "backend": backend,
                "model_id": model,
                "requested_at": stamp,
                "ended_at": stamp,
                "outcome": Outcome.ERROR.value,
                "error": str(error),
            }
        )

    def regenerate(
        self,
        event_id: str,
        *,
        evaluator_id: str | None = None,
        misleading: Misleading | None = None,
    ) -> AssistRun:
        """The same request again with a fresh seed (a different answer, even after a restart),
        by `evaluator_id` if given (regenerating a pre-generated response), else as before."""
        row = assist_log.event_row(self.workspace.db, event_id)
        if row is None or row["study_item_id"] is None:
            raise AssistError(f"no assistance request with id '{event_id}' to regenerate")
        shown = row["params"].get("shown")
        if shown is not None:
            return self.request_on_answers(
                row["study_item_id"],
                AssistKind(row["kind"]),
                tuple(shown),
                evaluator_id=evaluator_id or row["evaluator_id"],
                chat=row["chat"],
                regenerates=event_id,
                misleading=misleading,
                max_tokens=row["params"]["max_tokens"],
            )
        return self.request(
            row["study_item_id"],
            AssistKind(row["kind"]),
            evaluator_id=evaluator_id or row["evaluator_id"],
            chat=row["chat"],
            regenerates=event_id,
            misleading=misleading,
            max_tokens=row["params"]["max_tokens"],
            side=row["params"].get("side"),
        )

    def stored(
        self, item_id: str, kind: AssistKind, prepared_for: str | None = None
    ) -> AssistEvent | None:
        """The pre-generated response of this kind for the item, by the current model: the
        shared one, or the one prepared for the evaluator `prepared_for`."""
        model_id = self.backend.info().model_id
        return stored_response(self.workspace, item_id, kind, model_id, prepared_for)

    def score_flawed(self, item_id: str) -> dict[str, float]:
        """Log-probabilities of "Yes" and "No" to: does the answer contain a flaw?"""
        _, item = self.item_context(item_id)
        question = {"role": "user", "content": "Does the answer contain a flaw? Reply Yes or No."}
        return self.backend.score([self.prompts.system(item), question], ["Yes", "No"])


def item_context(
    workspace: Workspace, item_id: str, side: str | None = None
) -> tuple[Candidate, ItemContext]:
    """The item's candidate (ground truth included) and what a model is told of it; of a
    compare or rank item, the answer `side`, without which there is no one candidate to ask
    about (its first slot is a pair's correct twin: never a default)."""
    item = content.study_item(workspace.db, item_id)
    if item is None:
        raise AssistError(f"no study item with id '{item_id}'")
    if (item.layout is Layout.SINGLE) != (side is None):
        raise AssistError(
            "a request about one answer of a compare or rank item names it (its side)"
            if side is None
            else "a single item has no sides"
        )
    found = content.task_and_candidate(workspace.db, item_id, side)
    if found is None:
        raise AssistError(f"'{side}' is not an answer of this item")
    task, candidate = found
    return candidate, ItemContext(
        task.prompt, candidate.text, task.language, task.reference, task.conversation
    )


def _answer(workspace: Workspace, item_id: str, side: str) -> Candidate:
    found = content.task_and_candidate(workspace.db, item_id, side)
    if found is None:
        raise AssistError(f"'{side}' is not an answer of this item")
    return found[1]


def stored_response(
    workspace: Workspace,
    item_id: str,
    kind: AssistKind,
    model_id: str | None,
    prepared_for: str | None = None,
) -> AssistEvent | None:
    """The pre-generated response of this kind for the item by `model_id` (any model if None;
    no model needed): the shared one, or the one prepared for the evaluator `prepared_for`."""
    return assist_log.pregenerated(workspace.db, item_id, kind, model_id, prepared_for)


def responses(workspace: Workspace, item_id: str, evaluator_id: str) -> list[AssistEvent]:
    """The evaluator's requests on the item, oldest first (the assistant panel's history)."""
    return assist_log.events_of_item(workspace.db, item_id, evaluator_id)


def critique_of(text: str) -> Critique:
    """A critique response (complete or still streaming) as points; never raises."""
    return parse_critique(text)


def advice_of(text: str, labels: tuple[str, ...]) -> Advice:
    """A Comparison response (complete or still streaming) about the sides `labels`; never
    raises."""
    return parse_advice(text, labels)


def forming_critique_of(text: str) -> Critique:
    """A critique still streaming, with the point being written (its claim so far)."""
    return parse_partial_critique(text)


def _expert_view(
    kind: AssistKind, source: AssistantSource, plan: MisleadingPlan, candidate: Candidate
) -> ExpertView | None:
    """The answer key's view when the expert's copy gives this response: an honest critique
    (not manipulated) under an expert source, of a candidate whose truth is known. Otherwise
    None, and the assistant model answers (the other kinds, and items the key says nothing of)."""
    if not source.expert or kind is not AssistKind.CRITIQUE or plan.manipulation is not None:
        return None
    return expert_view(candidate)


def _said(text: str) -> Stream:
    """A finished stream of `text`: a response no model was asked for."""
    stream = Stream()
    stream.push(text)
    stream.finish(Outcome.DONE)
    return stream


def _schema(kind: AssistKind, plan: MisleadingPlan, candidate: str) -> dict[str, Any] | None:
    """Critiques are held to the critique schema, their lines to the candidate's; a
    manipulated one to its plan's."""
    if kind is not AssistKind.CRITIQUE:
        return None
    return plan_schema(plan, candidate)
