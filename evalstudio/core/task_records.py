"""The import record format (docs/task-format.md): one record, its fields, and their checks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from evalstudio.core.comparison import MAX_SIDES, MIN_SIDES
from evalstudio.core.conversation import BadMessages, Transcript, Turns, read_messages, turns_json
from evalstudio.core.errors import Problem
from evalstudio.core.model import Kind, LineRange, PlantedFlaw, Severity, Span, Truth
from evalstudio.core.plurals import counted

REQUIRED_FIELDS = ("id", "prompt", "candidate", "kind")
OPTIONAL_FIELDS = (
    "language",
    "task_id",
    "reference",
    "truth",
    "flaw_description",
    "flaw_severity",
    "flaw_lines",
    "flaw_span",
    "pair_id",
    "test",
    "gold",
    "messages",
    "candidates",
)
# Fields `messages` gives (its last user turn and its evaluated assistant turn).
GIVEN_BY_MESSAGES = ("prompt", "candidate")
# Fields of one answer that a record of several answers (`candidates`) cannot have: ground
# truth for comparisons comes from perturbation pairs (study.toml pairs_as = "compare").
NOT_WITH_CANDIDATES = (
    "candidate", "truth", "flaw_description", "flaw_severity", "flaw_lines", "flaw_span",
    "pair_id", "test", "gold", "messages",
)  # fmt: skip
ALL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,200}")
# Nine digits pass any line or character of a record (at most 4 MB); int() refuses over 4,300.
_RANGE = re.compile(r"\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}
# Words that tell an item's truth when one is a whole token of its record id ("mean-bug",
# "gold_3", "sortCorrect"). Record ids stay in the owner's workspace, exports and files, where
# a reader should not learn the answer key from them: import warns (core/import_plan.py).
REVEALING_WORDS = frozenset(
    {
        "bad", "broken", "bug", "bugfix", "bugged", "buggy", "bugs", "clean", "correct",
        "error", "fail", "failing", "false", "fault", "faulty", "fix", "fixed", "flaw",
        "flawed", "flawless", "flaws", "gold", "golden", "good", "incorrect", "injected",
        "mutant", "mutated", "ok", "okay", "orig", "original", "pass", "passing", "perturbed",
        "plant", "planted", "right", "true", "truth", "valid", "invalid", "wrong",
    }
)  # fmt: skip
# Where a record id breaks into tokens: its separators, a lower-to-upper case change, and
# between letters and digits ("bug2").
_TOKEN_BREAK = re.compile(
    r"[-_./:]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"
)
E = TypeVar("E", bound=StrEnum)
DEFAULT_LANGUAGE = {Kind.CODE: "python", Kind.TEXT: "markdown"}


@dataclass(frozen=True)
class TaskRecord:
    """One valid record: a candidate answer with its task and optional ground truth."""

    line: int
    id: str
    prompt: str
    candidate: str
    kind: Kind
    language: str
    task_key: str
    reference: str | None
    truth: Truth | None
    flaw: PlantedFlaw | None
    pair_id: str | None
    test: str | None
    gold: bool
    conversation: Turns | None = None  # the turns before the candidate, from `messages`
    # A record of several answers (`candidates`): (id, text) of each, in the file's order;
    # `candidate` is then the first one's text. Empty for a record of one answer.
    sides: tuple[tuple[str, str], ...] = ()

    @property
    def task_key_given(self) -> bool:
        """Whether the record named its task (`task_id`) rather than taking its default."""
        return self.task_key != default_task_key(self.prompt, self.conversation)


def default_task_key(prompt: str, conversation: Turns | None) -> str:
    """A record's task when it gives no task_id: its prompt, or for a conversation the whole
    context (two chats ending in the same question are different tasks)."""
    return prompt if conversation is None else turns_json(conversation)


@dataclass(frozen=True)
class BadRecord:
    """A record that failed its checks; its pair id (if readable) keeps its twin out too."""

    line: int
    pair_id: str | None
    problems: list[Problem]


class _Fields:
    """Reads typed values out of one raw record, collecting a Problem for each bad field."""

    def __init__(self, line: int, raw: Mapping[str, object]) -> None:
        self.line = line
        self.raw = raw
        self.problems: list[Problem] = []

    def problem(self, field: str | None, message: str) -> None:
        self.problems.append(Problem(self.line, field, message))

    def text(self, field: str, *, required: bool = False) -> str | None:
        value = self.raw.get(field)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            if required:
                self.problem(field, "is missing" if value is None else "is empty")
            return None
        if not isinstance(value, str):
            self.problem(field, f"must be a string, not {type(value).__name__}")
            return None
        bad = _SURROGATE.search(value)
        if bad:
            byte = ord(bad.group()) - 0xDC00 if "\udc80" <= bad.group() <= "\udcff" else None
            where = f" (byte 0x{byte:02x})" if byte is not None else ""
            self.problem(field, f"is not valid UTF-8{where} at character {bad.start()}")
            return None
        return value

    def choice(self, field: str, enum: type[E], *, required: bool = False) -> E | None:
        value = self.text(field, required=required)
        if value is None:
            return None
        try:
            return enum(value.strip().lower())
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            self.problem(field, f"unknown value {_short(value)} (expected one of: {allowed})")
            return None

    def pair_of_ints(self, field: str) -> tuple[int, int] | None:
        value = self.raw.get(field)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            return value[0], value[1]
        if isinstance(value, str) and (m := _RANGE.fullmatch(value)):
            start = int(m.group(1))
            return start, int(m.group(2)) if m.group(2) else start
        self.problem(field, f'{_short(value)} is not a range (expected 7, "7-9" or [7, 9])')
        return None

    def flag(self, field: str) -> bool:
        value = self.raw.get(field)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        self.problem(field, f"{_short(value)} is not true or false")
        return False


def revealing_words(name: str) -> list[str]:
    """The words of REVEALING_WORDS that are whole tokens of `name`, in order, once each."""
    tokens = (token.lower() for token in _TOKEN_BREAK.split(name))
    return list(dict.fromkeys(t for t in tokens if t in REVEALING_WORDS))


def _short(value: object) -> str:
    """A value's repr, cut so that a 50 MB field cannot flood an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_record(line: int, raw: Mapping[str, object]) -> TaskRecord | BadRecord:
    """Check one raw record (from JSONL or CSV); return it typed, or every problem it has."""
    f = _Fields(line, raw)
    for unknown in sorted(k for k in raw if k not in ALL_FIELDS):
        f.problem(unknown, f"unknown field (known: {', '.join(ALL_FIELDS)})")
    record_id = f.text("id", required=True)
    if record_id is not None and not _ID.fullmatch(record_id):
        f.problem("id", f"{_short(record_id)} is not an id (letters, digits, _ - . : ; 1-200)")
    prompt: str | None = None
    candidate: str | None = None
    transcript: Transcript | None = None
    sides: tuple[tuple[str, str], ...] = ()
    if raw.get("candidates") not in (None, ""):
        prompt = f.text("prompt", required=True)
        sides = _sides(f)
        candidate = sides[0][1] if sides else None
    elif raw.get("messages") in (None, ""):
        prompt = f.text("prompt", required=True)
        candidate = f.text("candidate", required=True)
    elif (transcript := _transcript(f)) is not None:
        prompt, candidate = transcript.request, transcript.answer
    kind = f.choice("kind", Kind, required=True)
    language = f.text("language")
    task_id = f.text("task_id")
    reference = f.text("reference")
    truth = f.choice("truth", Truth)
    pair_id = f.text("pair_id")
    test = f.text("test")
    gold = f.flag("gold")
    flaw = _flaw(f, truth, kind, candidate)
    if gold and truth is None:
        f.problem("gold", "a gold item needs 'truth' (its known verdict)")
    if pair_id is not None and truth is None:
        f.problem("truth", "a twin of a pair needs 'truth' (correct or flawed)")
    if f.problems or record_id is None or prompt is None or candidate is None or kind is None:
        return BadRecord(line, pair_id, f.problems)
    conversation = transcript.context if transcript is not None else None
    return TaskRecord(
        line=line,
        id=record_id,
        prompt=prompt,
        candidate=candidate,
        kind=kind,
        language=(language or DEFAULT_LANGUAGE[kind]).strip().lower(),
        task_key=task_id if task_id is not None else default_task_key(prompt, conversation),
        reference=reference,
        truth=truth,
        flaw=flaw,
        pair_id=pair_id,
        test=test,
        gold=gold,
        conversation=conversation,
        sides=sides,
    )


def _sides(f: _Fields) -> tuple[tuple[str, str], ...]:
    """The record's `candidates` (a JSON array of {"id", "text"}, or in CSV a string holding
    one) checked; empty when they are bad (each problem reported)."""
    for name in NOT_WITH_CANDIDATES:
        if f.raw.get(name) not in (None, ""):
            f.problem(name, "a record of several candidates cannot have it")
    value = f.raw["candidates"]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            f.problem("candidates", f"is not JSON ({e.msg} at character {e.pos})")
            return ()
    if not isinstance(value, list) or not MIN_SIDES <= len(value) <= MAX_SIDES:
        size = f"{len(value)} entries" if isinstance(value, list) else type(value).__name__
        f.problem("candidates", f"must be a list of {MIN_SIDES} to {MAX_SIDES} answers, not {size}")
        return ()
    sides: list[tuple[str, str]] = []
    for n, entry in enumerate(value, start=1):
        where = f"candidates[{n}]"
        if not isinstance(entry, dict) or set(entry) != {"id", "text"}:
            f.problem(
                "candidates", f'{where} must be {{"id": ..., "text": ...}}, not {_short(entry)}'
            )
            continue
        side = _Fields(f.line, entry)
        side_id, text = side.text("id", required=True), side.text("text", required=True)
        for problem in side.problems:
            f.problem("candidates", f"{where}.{problem.field} {problem.message}")
        if side_id is not None and not _ID.fullmatch(side_id):
            f.problem("candidates", f"{where}.id {_short(side_id)} is not an id")
        elif side_id is not None and side_id in (s for s, _ in sides):
            f.problem("candidates", f"{where}.id '{side_id}' is given twice")
        elif side_id is not None and text is not None:
            sides.append((side_id, text))
    return tuple(sides) if len(sides) == len(value) else ()


def _transcript(f: _Fields) -> Transcript | None:
    """The record's `messages` checked, or None when they are bad (each problem reported)."""
    for name in GIVEN_BY_MESSAGES:
        if f.raw.get(name) not in (None, ""):
            f.problem(name, "is given by 'messages' (leave it out of a conversation record)")
    try:
        return read_messages(f.raw["messages"])
    except BadMessages as e:
        f.problem("messages", str(e))
        return None


def _flaw(
    f: _Fields, truth: Truth | None, kind: Kind | None, text: str | None
) -> PlantedFlaw | None:
    description = f.text("flaw_description")
    severity = f.choice("flaw_severity", Severity)
    lines = f.pair_of_ints("flaw_lines")
    span = f.pair_of_ints("flaw_span")
    given = [
        name
        for name, v in (
            ("flaw_description", description),
            ("flaw_severity", severity),
            ("flaw_lines", lines),
            ("flaw_span", span),
        )
        if v is not None
    ]
    if truth is not Truth.FLAWED:
        for name in given:
            f.problem(name, "only a record with truth=flawed has a planted flaw")
        return None
    if description is None:
        f.problem("flaw_description", "a flawed record needs a description of its planted flaw")
    if kind is Kind.CODE and lines is None:
        f.problem("flaw_lines", "a flawed code record needs the line range of its flaw")
    line_range = _line_range(f, lines, text)
    char_span = _span(f, span, text)
    if description is None:
        return None
    return PlantedFlaw(description, severity or Severity.MAJOR, line_range, char_span)


def _line_range(f: _Fields, lines: tuple[int, int] | None, text: str | None) -> LineRange | None:
    if lines is None:
        return None
    start, end = lines
    count = len(text.splitlines()) if text is not None else None
    if start < 1 or end < start:
        f.problem("flaw_lines", f"{start}-{end} is not a range of lines (1-based, start <= end)")
    elif count is not None and end > count:
        f.problem(
            "flaw_lines",
            f"{start}-{end} is past the end of the candidate ({counted(count, 'line')})",
        )
    else:
        return LineRange(start, end)
    return None


def _span(f: _Fields, span: tuple[int, int] | None, text: str | None) -> Span | None:
    if span is None:
        return None
    start, end = span
    if start < 0 or end <= start:
        f.problem("flaw_span", f"{start}-{end} is not a span of characters (start < end)")
    elif text is not None and end > len(text):
        f.problem(
            "flaw_span",
            f"{start}-{end} is past the end of the candidate ({counted(len(text), 'character')})",
        )
    else:
        return Span(start, end)
    return None
