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
from evalstudio.assist.critique import (
    expert_critique_text,
    expert_schema,
    parse_critique,
    parse_partial_critique,
    plan_schema,
)
from evalstudio.assist.prompts import ItemContext, PromptBook
from evalstudio.core.assistance import (
    AssistEvent,
    AssistKind,
    Critique,
    Outcome,
)
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

    def item_context(self, item_id: str) -> tuple[Candidate, ItemContext]:
        return item_context(self.workspace, item_id)

    def open_item(self, item_id: str) -> None:
        """The evaluator opened an item: evaluate its shared prompt prefix in the background,
        so the first request on it starts fast. A warm-up of the previous item is dropped."""
        if self._warming is not None:
            self._warming.cancel()  # no wait: the next job on the worker skips or aborts it
        _, item = self.item_context(item_id)
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
    ) -> AssistRun:
        """Start a request; its log row is written before the model sees it. `prepared_for`:
        pre-generated for that evaluator (and manipulated as their draw says), not asked.
        `seed`: fixed (and the prompt evaluated afresh, so the response is a function of the
        request: one answered before is replayed, logged as a new row naming the one it
        replays), else a fresh random one. A manipulated FLIP first generates the honest
        critique it argues against (logged, with no evaluator). Under an expert source
        (`misleading.source`), an honest critique is the answer key's (core/expert.py): worded
        by the model and held to the key's lines, severity and verdict, or by the template
        without asking the model."""
        candidate, item = self.item_context(item_id)
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
        params = GenerationParams(
            max_tokens=max_tokens or self.settings.max_tokens,
            temperature=self.settings.temperature,
            # Fresh per request, so Regenerate differs, also after a restart; logged.
            seed=seed if seed is not None else random.SystemRandom().getrandbits(31),
            json_schema=schema,
            reproducible=seed is not None,
        )
        row: dict[str, Any] = {
            "id": new_id(),
            "study_item_id": item_id,
            "evaluator_id": evaluator_id,
            "kind": kind.value,
            "regenerates_id": regenerates,
            "chat": chat,
            "messages": messages,
            # Where an honest critique came from, when not from the model alone.
            "params": asdict(params) | ({"source": source.value} if expert else {}),
            "manipulated": int(plan.manipulation is not None),
            "manipulation": plan.manipulation.value if plan.manipulation else None,
            "misalignment": plan.misalignment.value if plan.misalignment else None,
            "basis_id": basis_id,
            "pregenerated": int(pregenerated or prepared_for is not None),
            "prepared_for": prepared_for,
        }
        backend = self.adversary if plan.manipulation and self.adversary else self.backend
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
        if expert is not None and not messages:
            # Worded by the template (or nothing to word: no flaw to report): no model asked.
            row |= {"seed": None, "requested_at": now(), "reused_from": None}
            self._insert(row)
            said = _said(expert_critique_text(expert, candidate.text))
            return AssistRun(self.workspace, row["id"], said)
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
        return self.request(
            row["study_item_id"],
            AssistKind(row["kind"]),
            evaluator_id=evaluator_id or row["evaluator_id"],
            chat=row["chat"],
            regenerates=event_id,
            misleading=misleading,
            max_tokens=row["params"]["max_tokens"],
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


def item_context(workspace: Workspace, item_id: str) -> tuple[Candidate, ItemContext]:
    """The item's candidate (ground truth included) and what a model is told of it."""
    found = content.task_and_candidate(workspace.db, item_id)
    if found is None:
        raise AssistError(f"no study item with id '{item_id}'")
    task, candidate = found
    return candidate, ItemContext(
        task.prompt, candidate.text, task.language, task.reference, task.conversation
    )


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
