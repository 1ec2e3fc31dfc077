"""Conversation candidates: a chat transcript whose last turn is the assistant answer under
review (docs/task-format.md, Conversations).

The evaluated turn becomes the candidate's text, so flaws, lines, spans, critiques, scoring
and pairs work on it unchanged; the turns before it are the task's conversation, stored as a
JSON array of {"role", "content"} and shared by every candidate of the task (a pair's twins
answer the same conversation).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum

# A transcript is context for one answer; beyond this it is a log, not a task.
MAX_TURNS = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")
_KEYS = ("role", "content")


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


Turns = tuple[Turn, ...]


@dataclass(frozen=True)
class Transcript:
    """A record's `messages`, checked: the turns before the evaluated one, the request it
    answers (the last user turn among them) and the evaluated turn's text."""

    context: Turns
    request: str
    answer: str


class BadMessages(ValueError):
    """`messages` cannot be read as a transcript; the message says which turn and why."""


def read_messages(value: object) -> Transcript:
    """Check a record's `messages` (a JSON array, or in CSV a string holding one): turns of
    role user, assistant or system with non-blank text content, the last one the assistant
    turn under review, a user turn before it. Raises BadMessages naming the first problem."""
    if isinstance(value, str):
        value = _decoded(value)
    if not isinstance(value, list):
        raise BadMessages(f"must be a list of turns, not {_type(value)}")
    if not value:
        raise BadMessages("is empty (a conversation needs at least a user and an assistant turn)")
    if len(value) > MAX_TURNS:
        raise BadMessages(
            f"has {len(value):,} turns; a conversation may have at most {MAX_TURNS:,}"
        )
    turns = tuple(_turn(n, raw) for n, raw in enumerate(value))
    *context, last = turns
    if last.role is not Role.ASSISTANT:
        raise BadMessages(
            f"the last turn ({_where(len(turns) - 1)}) is a {last.role.value} turn: a "
            "conversation ends with the assistant turn under review (cut it there)"
        )
    requests = [t for t in context if t.role is Role.USER]
    if not requests:
        raise BadMessages("has no user turn before the assistant turn under review")
    return Transcript(tuple(context), requests[-1].content, last.content)


def _decoded(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadMessages(f"is not a JSON list of turns: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise BadMessages("is nested too deeply to read") from None
    except ValueError:  # int() refuses integer strings over 4,300 digits
        raise BadMessages("holds a number of more than 4,300 digits") from None


def _where(index: int) -> str:
    return f"turn {index + 1}, messages[{index}]"


def _turn(index: int, raw: object) -> Turn:
    where = _where(index)
    if not isinstance(raw, dict):
        raise BadMessages(f"{where} must be an object with role and content, not {_type(raw)}")
    unknown = sorted(str(k) for k in raw if k not in _KEYS)
    if unknown:
        raise BadMessages(
            f"{where} has unknown key {_short(unknown[0])} (a turn has role and content)"
        )
    role, content = raw.get("role"), raw.get("content")
    if not isinstance(role, str):
        raise BadMessages(f"{where}: role must be a string, not {_type(role)}")
    try:
        checked = Role(role.strip().lower())
    except ValueError:
        raise BadMessages(
            f"{where}: role {_short(role)} is not one of: {', '.join(r.value for r in Role)}"
        ) from None
    if not isinstance(content, str):
        raise BadMessages(f"{where}: content must be a string, not {_type(content)}")
    if not content.strip():
        raise BadMessages(f"{where}: content is empty")
    if bad := _SURROGATE.search(content):
        raise BadMessages(f"{where}: content is not valid UTF-8 at character {bad.start()}")
    return Turn(checked, content)


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def turns_json(turns: Turns) -> str:
    """The turns as stored and exported: a JSON array of {"role", "content"}."""
    return json.dumps([{"role": t.role.value, "content": t.content} for t in turns])


def turns_of_json(text: str) -> Turns:
    """Stored turns back as records: a task's context, at least its user turn; BadMessages if
    the text is not what turns_json writes (a file edited by hand)."""
    value = _decoded(text)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TURNS:
        raise BadMessages(f"is not a list of 1 to {MAX_TURNS:,} turns")
    return tuple(_turn(n, raw) for n, raw in enumerate(value))
