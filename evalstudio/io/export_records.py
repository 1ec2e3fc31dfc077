"""What an exported record holds: the documented fields of each format (docs/export-format.md),
shaped from the records store/export_rows.py streams (core/exported.py).

Ground truth is added only when asked (`with_truth`); without it a record holds nothing an
evaluator could not see, so it can go to an analyst on the evaluators' side.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from evalstudio.core.conversation import Turns
from evalstudio.core.exported import ExportedEvent, ExportedJudgment, ExportedPair, UsedResponse
from evalstudio.core.model import LineRange, PlantedFlaw, Span
from evalstudio.core.preference_pairs import TwinVotes, separates
from evalstudio.core.rubric import Question, RubricAnswer
from evalstudio.core.scoring import matches, score

# 2: rubric answers (`answers`; the CSV's `q_<key>` columns, which depend on the study).
FORMAT_VERSION = 2

Record = dict[str, Any]

JUDGMENT_FIELDS = (
    "format_version",
    "study",
    "judgment_id",
    "evaluator_id",
    "evaluator",
    "evaluator_kind",
    "item_id",
    "task_id",
    "kind",
    "language",
    "prompt",
    "candidate",
    "condition",
    "verdict_first",
    "confidence_first",
    "first_at",
    "verdict",
    "skipped_reason",
    "quality",
    "confidence",
    "flaws",
    "rationale",
    "active_ms",
    "submitted_at",
    "revision",
    "supersedes_id",
    "assist_kinds",
    "assistance",
    "conversation",
    "answers",
)
# The study's order follows the task file, where twins often come correct-first: the item's
# place in it is ground truth too.
JUDGMENT_TRUTH_FIELDS = (
    "item_number",
    "record_id",
    "pair_id",
    "truth",
    "gold",
    "planted_flaw",
    "score",
)

EVENT_FIELDS = (
    "format_version",
    "study",
    "event_id",
    "evaluator_id",
    "evaluator",
    "evaluator_kind",
    "item_id",
    "kind",
    "pregenerated",
    "regenerates_id",
    "chat",
    "backend",
    "model_id",
    "model_sha256",
    "params",
    "seed",
    "requested_at",
    "first_token_at",
    "ended_at",
    "first_token_ms",
    "duration_ms",
    "prompt_tokens",
    "completion_tokens",
    "outcome",
    "error",
    "response",
    "reused_from",
)
# The prompt of a manipulated request carries the steering instruction, and its schema the
# forced verdict: both are ground truth, like the item's place in the study.
EVENT_TRUTH_FIELDS = (
    "item_number",
    "messages",
    "json_schema",
    "manipulated",
    "manipulation",
    "misalignment",
    "basis_id",
)

PAIR_FIELDS = (
    "prompt",
    "chosen",
    "rejected",
    "format_version",
    "study",
    "pair_id",
    "chosen_record_id",
    "rejected_record_id",
    "kind",
    "language",
    "flaw_description",
    "flaw_severity",
    "votes",
    "conversation",
)


def judgment_record(
    exported: ExportedJudgment,
    study: str,
    with_truth: bool,
    questions: tuple[Question, ...] = (),
) -> Record:
    """One current final judgment (of store.export_rows.judgment_chunks) as exported, with
    its answer to each of the study's rubric `questions` (null when not answered)."""
    judgment, first, item = exported.judgment, exported.first, exported.item
    form, task, candidate = judgment.form, item.task, item.candidate
    flaws = [f.to_json() for f in form.flaws]
    used = exported.assistance
    record: Record = {
        "format_version": FORMAT_VERSION,
        "study": study,
        "judgment_id": judgment.id,
        "evaluator_id": judgment.evaluator_id,
        "evaluator": exported.evaluator.name,
        "evaluator_kind": exported.evaluator.kind.value,
        "item_id": item.id,
        "task_id": task.id,
        "kind": task.kind.value,
        "language": task.language,
        "prompt": task.prompt,
        "candidate": candidate.text,
        "condition": _value(judgment.condition),
        "verdict_first": _value(first.form.verdict) if first else None,
        "confidence_first": first.form.confidence if first else None,
        "first_at": first.created_at if first else None,
        "verdict": _value(form.verdict),
        "skipped_reason": judgment.skipped_reason,
        "quality": form.quality,
        "confidence": form.confidence,
        "flaws": flaws,
        "rationale": form.rationale,
        "active_ms": form.active_ms,
        "submitted_at": judgment.created_at,
        "revision": exported.revision,
        "supersedes_id": judgment.supersedes_id,
        "assist_kinds": sorted({a.kind for a in used}),
        "assistance": [_assistance(a, with_truth) for a in used],
        "conversation": _turns(task.conversation),
        "answers": _answers(form.answers, questions),
    }
    if not with_truth:
        return record
    planted = candidate.flaw
    for flaw, found in zip(flaws, form.flaws, strict=True):
        flaw["at_plant"] = planted is not None and matches(found, planted)
    scored = score(form.verdict, form.flaws, candidate.truth, planted, candidate.text)
    record.update(
        item_number=item.position + 1,
        record_id=candidate.external_id,
        pair_id=item.pair_id,
        truth=_value(candidate.truth),
        gold=candidate.gold,
        planted_flaw=_planted_json(planted),
        score=scored.score.value,
    )
    return record


def _answers(given: tuple[RubricAnswer, ...], questions: tuple[Question, ...]) -> Record:
    """Every question's answer by key, in the study's order: a number (likert), a string
    (choice, text), a list of options (multi); null when left blank."""
    found = {a.key: a.to_json() for a in given}
    return {q.key: found.get(q.key) for q in questions}


def _value(member: StrEnum | None) -> str | None:
    """An enum's value as the plain text a record holds."""
    return member.value if member is not None else None


def _assistance(used: UsedResponse, with_truth: bool) -> Record:
    pregenerated = used.shown_at is not None
    record: Record = {
        "assist_event_id": used.id,
        "kind": used.kind,
        "source": "pregenerated" if pregenerated else "requested",
        "outcome": used.outcome,
        "requested_at": None if pregenerated and not with_truth else used.requested_at,
        "shown_at": used.shown_at,
        "response": used.response,
        "marks": [{"point": point, "mark": mark} for point, mark in used.marks],
    }
    if with_truth:
        record |= {"manipulated": used.manipulated, "manipulation": used.manipulation}
    return record


def _planted_json(flaw: PlantedFlaw | None) -> Record | None:
    if flaw is None:
        return None
    return {
        "description": flaw.description,
        "severity": flaw.severity.value,
        "lines": _range(flaw.lines),
        "span": _range(flaw.span),
    }


def event_record(event: ExportedEvent, study: str, with_truth: bool) -> Record:
    """One assistance request (of store.export_rows.event_chunks) as exported."""
    params = dict(event.params)
    schema = params.pop("json_schema", None)
    # Pre-generation runs in the study's order, which follows the task file: its times would
    # give that order away, so they are ground truth (how long a request took is not).
    hidden = event.pregenerated and not with_truth
    asker = event.evaluator
    record: Record = {
        "format_version": FORMAT_VERSION,
        "study": study,
        "event_id": event.id,
        "evaluator_id": event.evaluator_id,
        "evaluator": asker.name if asker else None,
        "evaluator_kind": asker.kind.value if asker else None,
        "item_id": event.study_item_id,
        "kind": event.kind,
        "pregenerated": event.pregenerated,
        "regenerates_id": event.regenerates_id,
        "chat": event.chat,
        "backend": event.backend,
        "model_id": event.model_id,
        "model_sha256": event.model_sha256,
        "params": params,
        "seed": event.seed,
        "requested_at": None if hidden else event.requested_at,
        "first_token_at": None if hidden else event.first_token_at,
        "ended_at": None if hidden else event.ended_at,
        "first_token_ms": _ms_between(event.requested_at, event.first_token_at),
        "duration_ms": _ms_between(event.requested_at, event.ended_at),
        "prompt_tokens": event.prompt_tokens,
        "completion_tokens": event.completion_tokens,
        "outcome": event.outcome,
        "error": event.error,
        "response": event.response,
        "reused_from": event.reused_from,
    }
    if with_truth:
        record |= {
            "item_number": event.position + 1,
            "messages": event.messages,
            "json_schema": schema,
            "manipulated": event.manipulated,
            "manipulation": event.manipulation,
            "misalignment": event.misalignment,
            "basis_id": event.basis_id,
        }
    return record


def _ms_between(start: str, end: str | None) -> int | None:
    """Whole milliseconds from `start` to `end`; None without an end (or with timestamps that
    cannot be compared)."""
    if end is None:
        return None
    try:
        elapsed = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except (TypeError, ValueError):  # unparsable, or one with a time zone and one without
        return None
    return round(elapsed / timedelta(milliseconds=1))


def pair_record(pair: ExportedPair, study: str) -> Record | None:
    """A preference pair (of store.export_rows.pair_chunks), or None when the evaluators'
    verdicts do not separate its twins (core/preference_pairs.py)."""
    if not separates(pair.flawed_votes, pair.correct_votes):
        return None
    planted = pair.flawed.flaw
    return {
        "prompt": pair.task.prompt,
        "chosen": pair.correct.text,
        "rejected": pair.flawed.text,
        "format_version": FORMAT_VERSION,
        "study": study,
        "pair_id": pair.pair_id,
        "chosen_record_id": pair.correct.external_id,
        "rejected_record_id": pair.flawed.external_id,
        "kind": pair.task.kind.value,
        "language": pair.task.language,
        "flaw_description": planted.description if planted else None,
        "flaw_severity": planted.severity.value if planted else None,
        "votes": {
            "flawed_twin": _votes(pair.flawed_votes),
            "correct_twin": _votes(pair.correct_votes),
        },
        "conversation": _turns(pair.task.conversation),
    }


def _turns(turns: Turns | None) -> list[Record]:
    """A conversation's turns before the candidate; [] for a single-answer task (a list on
    every line, as a datasets loader wants)."""
    return [{"role": t.role.value, "content": t.content} for t in turns or ()]


def _votes(votes: TwinVotes) -> Record:
    return {"flawed": votes.flawed, "acceptable": votes.acceptable}


def _range(place: LineRange | Span | None) -> list[int] | None:
    """[start, end] of a place, or None without one."""
    return [place.start, place.end] if place is not None else None
