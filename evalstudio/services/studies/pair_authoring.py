"""Authoring perturbation pairs in a task file: suggest a flawed twin for a correct record,
and save a finished twin into the file.

Works on the owner's files, not the workspace. `suggest_twin` gives the pair's two records for
the owner to read and add by hand; `save_pair` (the pair editor's) rewrites a JSONL file in
place: the correct record's line gains its pair fields, the twin's line follows it, and every
other line keeps its bytes.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from evalstudio.assist.prompts import ItemContext
from evalstudio.core.errors import EvalStudioError, ImportRejected, Problem
from evalstudio.core.import_plan import plan_import
from evalstudio.core.model import Kind, LineRange, Severity, Span, Truth
from evalstudio.core.task_records import BadRecord, TaskRecord, parse_record
from evalstudio.io.task_files import read_task_file
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.studies.perturbation import FlawSuggestion, suggest_flaw


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
    _not_a_conversation(record, str(path))
    context = ItemContext(record.prompt, record.candidate, record.language, record.reference)
    suggestion = suggest_flaw(assistant, context, max_tokens=max_tokens)
    return suggestion, twin_records(record, suggestion)


def _not_a_conversation(record: TaskRecord, where: str) -> None:
    """The pair editor writes prompt and candidate records; a conversation's twin is written
    by hand (its `messages` with the last turn changed: docs/task-format.md)."""
    if record.conversation is not None:
        raise EvalStudioError(
            f"record '{record.id}' is a conversation: write its flawed twin in the file by hand "
            "(the same messages, the last turn changed)",
            where=where,
        )


def twin_records(record: TaskRecord, suggestion: FlawSuggestion) -> list[dict[str, Any]]:
    """The correct record with its pair fields, and the flawed twin, as task-file records."""
    pair_id = record.id
    common: dict[str, Any] = {
        "prompt": record.prompt,
        "kind": record.kind.value,
        "language": record.language,
        "pair_id": pair_id,
    }
    if record.task_key_given:  # else the task is known by its prompt
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


# Fields a flawed twin copies from its correct twin: they say which task the two answer.
_TASK_FIELDS = ("prompt", "kind", "language", "task_id", "reference")
# json.dumps leaves these raw, and read_task_file (str.splitlines) would break a line at them.
_LINE_BREAKERS = ("\x85", "\u2028", "\u2029")


def save_pair(
    path: Path,
    correct_id: str,
    flawed_text: str,
    description: str,
    severity: Severity,
    lines: LineRange | None,
    span: Span | None,
    test: str | None,
) -> None:
    """Make record `correct_id` of the JSONL task file `path` the correct twin of a new pair
    and insert its flawed twin (id `<correct_id>-flawed`) on the next line.

    The correct record gains `pair_id` (its own id), `truth: correct` and `test` if one is
    given; every other line keeps its bytes. The new file is checked like an import before it
    replaces the old one (atomically, the old one kept as `<file>.bak`); raises
    EvalStudioError and writes nothing when the file, the record or the new pair is refused.
    """
    where = str(path)
    if path.suffix.lower() == ".csv":
        raise EvalStudioError(
            "pair editing needs a JSONL task file (a CSV row cannot be rewritten in place)",
            where=where,
        )
    description = description.strip()
    test = test if test and test.strip() else None
    record = _record_to_pair(read_records(path), correct_id, flawed_text, description, where)
    target = path.resolve()  # a symlinked task file stays a symlink to the rewritten file
    data = target.read_bytes()
    rows = data.splitlines(keepends=True)
    old_line = rows[record.line - 1]
    bom = b"\xef\xbb\xbf" if record.line == 1 and old_line.startswith(b"\xef\xbb\xbf") else b""
    raw = json.loads(old_line[len(bom) :].decode("utf-8", "surrogateescape"))
    if raw.get("id") != correct_id:  # read_records numbered lines differently: do not guess
        raise EvalStudioError(
            f"line {record.line} does not hold record '{correct_id}'; not rewritten", where=where
        )
    ending = old_line[len(old_line.rstrip(b"\r\n")) :]
    newline = ending or next((r[len(r.rstrip(b"\r\n")) :] for r in rows if r.strip()), b"")
    newline = newline or b"\n"
    correct = {**raw, "pair_id": correct_id, "truth": Truth.CORRECT.value}
    if test is not None:
        correct["test"] = test
    flawed = _flawed_twin(correct, flawed_text, description, severity, lines, span)
    new_rows = [bom + _jsonl_line(correct) + newline, _jsonl_line(flawed) + ending]
    rows[record.line - 1 : record.line] = new_rows
    _replace_checked(target, data, b"".join(rows), record.line, where)


def _record_to_pair(
    records: list[TaskRecord], correct_id: str, flawed_text: str, description: str, where: str
) -> TaskRecord:
    """Record `correct_id`, if it can get this twin; else say why not."""
    record = next((r for r in records if r.id == correct_id), None)
    if record is None:
        raise EvalStudioError(f"no record with id '{correct_id}'", where=where)
    _not_a_conversation(record, where)
    if record.pair_id is not None:
        raise EvalStudioError(
            f"record '{correct_id}' has a twin already (pair '{record.pair_id}')", where=where
        )
    if record.truth is Truth.FLAWED:
        raise EvalStudioError(
            f"record '{correct_id}' is a flawed record; a twin is made from a correct one",
            where=where,
        )
    if any(r.id == f"{correct_id}-flawed" for r in records):
        raise EvalStudioError(
            f"the file has a record '{correct_id}-flawed' already; rename it to make this pair",
            where=where,
        )
    if not description:
        raise EvalStudioError(
            f"the flawed twin of '{correct_id}' needs a description of its flaw", where=where
        )
    if flawed_text == record.candidate:
        raise EvalStudioError(
            f"the flawed twin of '{correct_id}' is identical to the correct answer; plant a flaw",
            where=where,
        )
    return record


def _flawed_twin(
    correct: dict[str, Any],
    flawed_text: str,
    description: str,
    severity: Severity,
    lines: LineRange | None,
    span: Span | None,
) -> dict[str, Any]:
    """The flawed twin's record, its fields in the order of its correct twin's."""
    twin: dict[str, Any] = {}
    for key, value in correct.items():
        if key == "id":
            twin[key] = f"{value}-flawed"
        elif key == "candidate":
            twin[key] = flawed_text
        elif key == "truth":
            twin[key] = Truth.FLAWED.value
        elif key in _TASK_FIELDS or key == "pair_id":
            twin[key] = value
    twin["flaw_description"] = description
    twin["flaw_severity"] = severity.value
    if lines is not None:
        twin["flaw_lines"] = [lines.start, lines.end]
    if span is not None:
        twin["flaw_span"] = [span.start, span.end]
    return twin


def _jsonl_line(record: dict[str, Any]) -> bytes:
    text = json.dumps(record, ensure_ascii=False)
    for char in _LINE_BREAKERS:
        text = text.replace(char, f"\\u{ord(char):04x}")
    # surrogatepass: text typed with a lone surrogate is written as is, and the check of the
    # new file then names the field instead of this line raising
    return text.encode("utf-8", "surrogatepass")


def _replace_checked(target: Path, old: bytes, new: bytes, line: int, where: str) -> None:
    """Write `new` to a temp file beside `target`, check it imports with the new pair (on
    `line` and the next), keep `old` as `<target>.bak`, and move the temp file into place."""
    temp = _write_temp(target, new)
    backup: Path | None = None
    try:
        try:
            records = read_records(temp)
        except ImportRejected as rejected:
            raise _refused(rejected.problems, where) from None
        plan = plan_import(  # as an import into a new study would; only its problems are used
            "check",
            records,
            existing_ids=set(),
            existing_tasks={},
            existing_pair_ids=set(),
            first_position=0,
        )
        # Problems elsewhere were in the file before this save: the import reports those.
        problems = [p for p in plan.problems if p.line in (line, line + 1)]
        if problems:
            raise _refused(problems, where)
        if target.read_bytes() != old:  # edited elsewhere since it was read: keep their edit
            raise EvalStudioError(
                "the file changed on disk while the pair was being saved; nothing written",
                where=where,
            )
        backup = _write_temp(target, old)
        backup.replace(target.with_name(target.name + ".bak"))
        temp.replace(target)
        _fsync_folder(target.parent)
    finally:  # after a failure, no temp file is left beside the task file
        for leftover in (temp, backup):
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _refused(problems: list[Problem], where: str) -> EvalStudioError:
    lines = "\n".join(p.describe(where) for p in problems)
    return EvalStudioError(f"the new pair would not import; nothing written\n{lines}", where=where)


def _write_temp(target: Path, data: bytes) -> Path:
    """`data` in a new, synced file beside `target`, with its suffix (read_task_file reads the
    type from it) and its permissions."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(name).chmod(stat.S_IMODE(target.stat().st_mode))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _fsync_folder(folder: Path) -> None:
    """Make the renames durable: a rename lives in the folder's entry, not in the file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
