"""Authoring perturbation pairs in a task file: suggest a flawed twin for a correct record.

Works on the owner's files, not the workspace: the suggestion is written as a pair of records
(the correct one, now with `pair_id` and `truth`, and its flawed twin) for the owner to read,
edit and add to the task file a study definition names. Nothing is rewritten in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalstudio.assist.prompts import ItemContext
from evalstudio.core.errors import EvalStudioError, ImportRejected, Problem
from evalstudio.core.model import Kind, Truth
from evalstudio.core.task_records import BadRecord, TaskRecord, parse_record
from evalstudio.io.task_files import read_task_file
from evalstudio.services.assistance import Assistant
from evalstudio.services.perturbation import FlawSuggestion, suggest_flaw


def read_records(path: Path) -> list[TaskRecord]:
    """Every record of a task file; the file is refused (every bad row listed) if one is bad."""
    records: list[TaskRecord] = []
    problems: list[Problem] = []
    for row in read_task_file(path):
        parsed = (
            BadRecord(row.line, None, [row]) if isinstance(row, Problem) else parse_record(*row)
        )
        if isinstance(parsed, BadRecord):
            problems.extend(parsed.problems)
        else:
            records.append(parsed)
    if problems:
        raise ImportRejected(str(path), problems)
    return records


def suggest_twin(
    assistant: Assistant, path: Path, record_id: str, max_tokens: int = 1024
) -> tuple[FlawSuggestion, list[dict[str, Any]]]:
    """A suggested flawed twin of record `record_id` and the two records of the new pair."""
    records = {r.id: r for r in read_records(path)}
    record = records.get(record_id)
    if record is None:
        raise EvalStudioError(f"no record with id '{record_id}'", where=str(path))
    if record.truth is Truth.FLAWED:
        raise EvalStudioError(
            f"record '{record_id}' is a flawed twin already; suggest from a correct one",
            where=str(path),
        )
    if record.pair_id is not None:
        raise EvalStudioError(
            f"record '{record_id}' has a twin already (pair '{record.pair_id}')", where=str(path)
        )
    context = ItemContext(record.prompt, record.candidate, record.language, record.reference)
    suggestion = suggest_flaw(assistant, context, max_tokens=max_tokens)
    return suggestion, twin_records(record, suggestion)


def twin_records(record: TaskRecord, suggestion: FlawSuggestion) -> list[dict[str, Any]]:
    """The correct record with its pair fields, and the flawed twin, as task-file records."""
    pair_id = record.id
    common: dict[str, Any] = {
        "prompt": record.prompt,
        "kind": record.kind.value,
        "language": record.language,
        "pair_id": pair_id,
    }
    if record.task_key != record.prompt:  # the record named its task (else: by its prompt)
        common["task_id"] = record.task_key
    if record.reference:
        common["reference"] = record.reference
    if record.test:
        common["test"] = record.test
    flawed: dict[str, Any] = {
        "id": f"{record.id}-flawed",
        **common,
        "candidate": suggestion.flawed,
        "truth": Truth.FLAWED.value,
        "flaw_description": suggestion.description,
        "flaw_severity": suggestion.severity.value,
    }
    if record.kind is Kind.CODE:
        flawed["flaw_lines"] = [suggestion.lines.start, suggestion.lines.end]
    correct = {"id": record.id, **common, "candidate": record.candidate, "truth": "correct"}
    return [correct, flawed]
