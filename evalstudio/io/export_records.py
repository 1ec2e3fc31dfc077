"""What an exported record holds: the documented fields of each format (docs/export-format.md),
shaped from the records store/export_rows.py streams (core/exported.py).

Ground truth is added only when asked (`with_truth`); without it a record holds nothing an
evaluator could not see, so it can go to an analyst on the evaluators' side.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from evalstudio.core.comparison import SIDE_LETTERS, Layout, Ordering
from evalstudio.core.conversation import Turns
from evalstudio.core.exported import ExportedEvent, ExportedJudgment, ExportedPair, UsedResponse
from evalstudio.core.model import Candidate, LineRange, PlantedFlaw, Span, Truth
from evalstudio.core.preference_pairs import TwinVotes, separates
from evalstudio.core.rubric import Question, RubricAnswer
from evalstudio.core.scoring import matches, score

# 2: rubric answers (`answers`; the CSV's `q_<key>` columns, which depend on the study).
# 3: compare and rank items (`layout`, `candidates`, `order`, `strength`; `candidate` and
# `score` null on them), and the preferences format; later, at the end as the rule allows,
# a compare or rank item's first pick (`first_order`, `first_strength`).
FORMAT_VERSION = 3

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
    "layout",
    "candidates",
    "order",
    "strength",
    "first_order",
    "first_strength",
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
    "picked_correct",
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

PREFERENCE_FIELDS = (
    "prompt",
    "chosen",
    "rejected",
    "format_version",
    "study",
    "judgment_id",
    "evaluator_id",
    "evaluator",
    "item_id",
    "layout",
    "condition",
    "strength",
    "chosen_rank",
    "rejected_rank",
    "tie",
    "order",
    "chosen_id",
    "rejected_id",
    "assist_kinds",
    "conversation",
)
PREFERENCE_TRUTH_FIELDS = ("chosen_record_id", "rejected_record_id")


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
    single = item.layout is Layout.SINGLE
    # A compare or rank item's candidates only ever in the order this evaluator saw them:
    # their slot order is ground truth (a pair's correct twin is slot 0, `item.candidate`).
    shown = exported.shown
    ordering = form.ordering
    first_ordering = first.form.ordering if first else None
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
        "candidate": candidate.text if single else None,
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
        "assist_kinds": _assist_kinds(used),
        "assistance": [_assistance(a, with_truth) for a in used],
        "conversation": _turns(task.conversation),
        "answers": _answers(form.answers, questions),
        "layout": item.layout.value,
        "candidates": [_side(n, c, with_truth) for n, c in enumerate(shown)],
        "order": _tiers(ordering, shown) if ordering is not None else None,
        "strength": ordering.strength if ordering is not None else None,
        "first_order": _tiers(first_ordering, shown) if first_ordering is not None else None,
        "first_strength": first_ordering.strength if first_ordering is not None else None,
    }
    if not with_truth:
        return record
    if not single:
        record.update(
            item_number=item.position + 1,
            record_id=None,  # each candidate's is in `candidates`
            pair_id=item.pair_id,
            truth=None,
            gold=any(c.gold for c in item.sides),
            planted_flaw=None,
            score=None,
            picked_correct=_picked_correct(ordering, item.sides, item.pair_id),
        )
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
        picked_correct=None,
    )
    return record


def _side(place: int, candidate: Candidate, with_truth: bool) -> Record:
    """A compare or rank item's candidate as the evaluator saw it, at `place` (0 = A)."""
    side: Record = {
        "side": SIDE_LETTERS[place],
        "candidate_id": candidate.id,
        "text": candidate.text,
    }
    if with_truth:
        side["record_id"] = candidate.external_id
    return side


def _tiers(ordering: Ordering, shown: tuple[Candidate, ...]) -> list[list[str]]:
    """The ordering's tiers, best first, a tie's candidates in the order they were shown (the
    stored order within a tier may follow the owner's slots, which are ground truth)."""
    place = {c.id: n for n, c in enumerate(shown)}
    return [sorted(tier, key=lambda c: place.get(c, len(place))) for tier in ordering.tiers]


def _picked_correct(
    ordering: Ordering | None, sides: tuple[Candidate, ...], pair_id: str | None
) -> bool | None:
    """For a pair shown as a compare item, whether the evaluator put its correct twin first;
    None for a tie, a skip, or any other item."""
    if pair_id is None or ordering is None or ordering.tied or len(sides) != 2:
        return None
    truth = {c.id: c.truth for c in sides}
    return truth.get(ordering.tiers[0][0]) is Truth.CORRECT


def _answers(given: tuple[RubricAnswer, ...], questions: tuple[Question, ...]) -> Record:
    """Every question's answer by key, in the study's order: a number (likert), a string
    (choice, text), a list of options (multi); null when left blank."""
    found = {a.key: a.to_json() for a in given}
    return {q.key: found.get(q.key) for q in questions}


def _assist_kinds(used: tuple[UsedResponse, ...]) -> list[str]:
    """The kinds of assistance used, each once, sorted."""
    return sorted({a.kind for a in used})


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


def preference_records(
    exported: ExportedJudgment, study: str, with_truth: bool, include_ties: bool = False
) -> list[Record]:
    """The (chosen, rejected) pairs a person's current final ordering of a compare or rank
    item implies, best pairs first; with `include_ties` also the pairs it ties (`tie`: true,
    in the order shown). [] for a skip."""
    ordering = exported.judgment.form.ordering
    if ordering is None:
        return []
    shown = exported.shown
    tiers = _tiers(ordering, shown)
    pairs = [(a, b, False) for a, b in Ordering(tuple(map(tuple, tiers))).implied_pairs()]
    if include_ties:
        pairs += [(a, b, True) for tier in tiers for n, a in enumerate(tier) for b in tier[n + 1 :]]
    by_id = {c.id: c for c in shown}
    return [
        _preference(exported, study, with_truth, ordering, tiers, (by_id[a], by_id[b], tie))
        for a, b, tie in pairs
    ]


def _preference(
    exported: ExportedJudgment,
    study: str,
    with_truth: bool,
    ordering: Ordering,
    tiers: list[list[str]],
    pair: tuple[Candidate, Candidate, bool],  # chosen, rejected, tied
) -> Record:
    judgment, task = exported.judgment, exported.item.task
    chosen, rejected, tie = pair
    record: Record = {
        "prompt": task.prompt,
        "chosen": chosen.text,
        "rejected": rejected.text,
        "format_version": FORMAT_VERSION,
        "study": study,
        "judgment_id": judgment.id,
        "evaluator_id": judgment.evaluator_id,
        "evaluator": exported.evaluator.name,
        "item_id": exported.item.id,
        "layout": exported.item.layout.value,
        "condition": _value(judgment.condition),
        "strength": ordering.strength,
        "chosen_rank": ordering.rank_of(chosen.id),
        "rejected_rank": ordering.rank_of(rejected.id),
        "tie": tie,
        "order": tiers,
        "chosen_id": chosen.id,
        "rejected_id": rejected.id,
        "assist_kinds": _assist_kinds(exported.assistance),
        "conversation": _turns(task.conversation),
    }
    if with_truth:
        record |= {
            "chosen_record_id": chosen.external_id,
            "rejected_record_id": rejected.external_id,
        }
    return record


def _turns(turns: Turns | None) -> list[Record]:
    """A conversation's turns before the candidate; [] for a single-answer task (a list on
    every line, as a datasets loader wants)."""
    return [{"role": t.role.value, "content": t.content} for t in turns or ()]


def _votes(votes: TwinVotes) -> Record:
    return {"flawed": votes.flawed, "acceptable": votes.acceptable}


def _range(place: LineRange | Span | None) -> list[int] | None:
    """[start, end] of a place, or None without one."""
    return [place.start, place.end] if place is not None else None
