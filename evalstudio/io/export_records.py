"""What an exported record holds: the documented fields of each format (docs/export-format.md),
shaped from the rows store/export_rows.py streams.

Ground truth is added only when asked (`with_truth`); without it a record holds nothing an
evaluator could not see, so it can go to an analyst on the evaluators' side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from evalstudio.core.model import LineRange, PlantedFlaw, Severity, Span, Truth, Verdict
from evalstudio.core.preference_pairs import TwinVotes, separates
from evalstudio.core.review import ReportedFlaw
from evalstudio.core.scoring import matches, score

FORMAT_VERSION = 1

Record = dict[str, Any]
Row = Mapping[str, Any]

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
)


def judgment_record(row: Row, study: str, with_truth: bool) -> Record:
    """One current final judgment (a row of store.export_rows.judgment_chunks) as exported."""
    judgment, first, item = row["judgment"], row["first"], row["item"]
    flaws = [_flaw(f) for f in row["flaws"]]
    used = row["assistance"]
    record: Record = {
        "format_version": FORMAT_VERSION,
        "study": study,
        "judgment_id": judgment["id"],
        "evaluator_id": judgment["evaluator_id"],
        "evaluator": row["evaluator"],
        "evaluator_kind": row["evaluator_kind"],
        "item_id": item["item_id"],
        "task_id": item["task_id"],
        "kind": item["kind"],
        "language": item["language"],
        "prompt": item["prompt"],
        "candidate": item["text"],
        "condition": judgment["condition"],
        "verdict_first": first["verdict"] if first else None,
        "confidence_first": first["confidence"] if first else None,
        "first_at": first["created_at"] if first else None,
        "verdict": judgment["verdict"],
        "skipped_reason": judgment["skipped_reason"],
        "quality": judgment["quality"],
        "confidence": judgment["confidence"],
        "flaws": flaws,
        "rationale": judgment["rationale"],
        "active_ms": judgment["active_ms"],
        "submitted_at": judgment["created_at"],
        "revision": row["revision"],
        "supersedes_id": judgment["supersedes_id"],
        "assist_kinds": sorted({a["kind"] for a in used}),
        "assistance": [_assistance(a, with_truth) for a in used],
    }
    if not with_truth:
        return record
    planted = _planted(item)
    reported = tuple(ReportedFlaw.from_json(f) for f in flaws)
    for flaw, found in zip(flaws, reported, strict=True):
        flaw["at_plant"] = planted is not None and matches(found, planted)
    verdict, truth = judgment["verdict"], item["truth"]
    scored = score(
        Verdict(verdict) if verdict else None,
        reported,
        Truth(truth) if truth else None,
        planted,
        item["text"],
    )
    record.update(
        item_number=item["position"] + 1,
        record_id=item["candidate_external_id"],
        pair_id=item["pair_external_id"],
        truth=truth,
        gold=bool(item["gold"]),
        planted_flaw=_planted_json(item),
        score=scored.score.value,
    )
    return record


def _flaw(row: Row) -> Record:
    return {
        "severity": row["severity"],
        "description": row["description"],
        "lines": _range(row["line_start"], row["line_end"]),
        "span": _range(row["span_start"], row["span_end"]),
        "source": row["source"],
        "assist_event_id": row["assist_event_id"],
        "point_index": row["point_index"],
    }


def _assistance(row: Row, with_truth: bool) -> Record:
    pregenerated = row["shown_at"] is not None
    used = {
        "assist_event_id": row["id"],
        "kind": row["kind"],
        "source": "pregenerated" if pregenerated else "requested",
        "outcome": row["outcome"],
        "requested_at": None if pregenerated and not with_truth else row["requested_at"],
        "shown_at": row["shown_at"],
        "response": row["response"],
        "marks": [{"point": point, "mark": mark} for point, mark in row["marks"]],
    }
    if with_truth:
        used |= {"manipulated": bool(row["manipulated"]), "manipulation": row["manipulation"]}
    return used


def _planted(item: Row) -> PlantedFlaw | None:
    """The flaw planted in the item's candidate (a flawed twin), for scoring."""
    if item["flaw_description"] is None:
        return None
    return PlantedFlaw(
        item["flaw_description"],
        Severity(item["flaw_severity"]),
        _line_range(item["flaw_line_start"], item["flaw_line_end"]),
        _span(item["flaw_span_start"], item["flaw_span_end"]),
    )


def _planted_json(item: Row) -> Record | None:
    if item["flaw_description"] is None:
        return None
    return {
        "description": item["flaw_description"],
        "severity": item["flaw_severity"],
        "lines": _range(item["flaw_line_start"], item["flaw_line_end"]),
        "span": _range(item["flaw_span_start"], item["flaw_span_end"]),
    }


def _line_range(start: int | None, end: int | None) -> LineRange | None:
    return LineRange(start, end) if start is not None and end is not None else None


def _span(start: int | None, end: int | None) -> Span | None:
    return Span(start, end) if start is not None and end is not None else None


def event_record(row: Row, study: str, with_truth: bool) -> Record:
    """One assistance request (a row of store.export_rows.event_chunks) as exported."""
    params = json.loads(row["params"])
    schema = params.pop("json_schema", None)
    # Pre-generation runs in the study's order, which follows the task file: its times would
    # give that order away, so they are ground truth (how long a request took is not).
    hidden = bool(row["pregenerated"]) and not with_truth
    record: Record = {
        "format_version": FORMAT_VERSION,
        "study": study,
        "event_id": row["id"],
        "evaluator_id": row["evaluator_id"],
        "evaluator": row["evaluator"],
        "evaluator_kind": row["evaluator_kind"],
        "item_id": row["study_item_id"],
        "kind": row["kind"],
        "pregenerated": bool(row["pregenerated"]),
        "regenerates_id": row["regenerates_id"],
        "chat": json.loads(row["chat"]) if row["chat"] is not None else None,
        "backend": row["backend"],
        "model_id": row["model_id"],
        "model_sha256": row["model_sha256"],
        "params": params,
        "seed": row["seed"],
        "requested_at": None if hidden else row["requested_at"],
        "first_token_at": None if hidden else row["first_token_at"],
        "ended_at": None if hidden else row["ended_at"],
        "first_token_ms": _ms_between(row["requested_at"], row["first_token_at"]),
        "duration_ms": _ms_between(row["requested_at"], row["ended_at"]),
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "outcome": row["outcome"],
        "error": row["error"],
        "response": row["response"],
        "reused_from": row["reused_from"],
    }
    if with_truth:
        record |= {
            "item_number": row["position"] + 1,
            "messages": json.loads(row["messages"]),
            "json_schema": schema,
            "manipulated": bool(row["manipulated"]),
            "manipulation": row["manipulation"],
            "misalignment": row["misalignment"],
            "basis_id": row["basis_id"],
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


def pair_record(row: Row, study: str) -> Record | None:
    """A preference pair (a row of store.export_rows.pair_chunks), or None when the
    evaluators' verdicts do not separate its twins (core/preference_pairs.py)."""
    flawed, correct = _votes(row["flawed_votes"]), _votes(row["correct_votes"])
    if not separates(flawed, correct):
        return None
    return {
        "prompt": row["prompt"],
        "chosen": row["correct_text"],
        "rejected": row["flawed_text"],
        "format_version": FORMAT_VERSION,
        "study": study,
        "pair_id": row["pair_external_id"],
        "chosen_record_id": row["correct_external_id"],
        "rejected_record_id": row["flawed_external_id"],
        "kind": row["kind"],
        "language": row["language"],
        "flaw_description": row["flaw_description"],
        "flaw_severity": row["flaw_severity"],
        "votes": {
            "flawed_twin": {"flawed": flawed.flawed, "acceptable": flawed.acceptable},
            "correct_twin": {"flawed": correct.flawed, "acceptable": correct.acceptable},
        },
    }


def _votes(tally: Mapping[str, int]) -> TwinVotes:
    return TwinVotes(tally.get("flawed", 0), tally.get("acceptable", 0))


def _range(start: int | None, end: int | None) -> list[int] | None:
    """[start, end] of a place, or None without one (the schema sets both or neither)."""
    return [start, end] if start is not None and end is not None else None
