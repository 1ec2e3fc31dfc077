"""Probe (issue 19 §2): the model proposes calls of the candidate's function that could expose a
bug. The JSON schema it is held to, and a parser that never fails.

As with the critique (assist/critique.py), every array and string in the schema is bounded:
at most MAX_CALLS calls, each call and reason a bounded string. The parser holds any reply to
the same bounds, whatever it is (a server's JSON mode need not honour the schema): valid JSON
of the wrong type or depth, 10,000 calls, a reply cut short (the complete calls are kept),
prose around the JSON. A call is kept only if it is one Python expression that calls a name
the candidate defines; it is parsed here, never run here.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

from evalstudio.core.examples import calls_defined

MAX_CALLS = 6
MAX_CALL = 160
MAX_REASON = 120
MAX_REPLY_CHARS = 64 * 1024  # more is no reply to this schema: only its start is read


@dataclass(frozen=True)
class ProbeCall:
    call: str
    reason: str


def probe_schema(max_calls: int = MAX_CALLS) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "calls": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "call": {"type": "string", "minLength": 3, "maxLength": MAX_CALL},
                        "reason": {"type": "string", "maxLength": MAX_REASON},
                    },
                    "required": ["call", "reason"],
                },
                "minItems": 1,
                "maxItems": max_calls,
            }
        },
        "required": ["calls"],
    }


def parse_probe(text: str, defined: set[str], max_calls: int = MAX_CALLS) -> list[ProbeCall]:
    """The usable calls of a reply, in order, each once, at most `max_calls`; never raises."""
    entries = _entries(text[:MAX_REPLY_CHARS])
    calls: list[ProbeCall] = []
    seen: set[str] = set()
    for entry in entries:
        if len(calls) >= max_calls:
            break
        if not isinstance(entry, dict):
            continue
        call, reason = entry.get("call"), entry.get("reason", "")
        if not isinstance(call, str) or not isinstance(reason, str):
            continue
        call = call.strip()
        if len(call) > MAX_CALL or "\n" in call or call in seen:
            continue
        if not _expression(call) or not calls_defined(call, defined):
            continue
        seen.add(call)
        calls.append(ProbeCall(call, " ".join(reason.split())[:MAX_REASON]))
    return calls


def _expression(text: str) -> bool:
    try:
        ast.parse(text, "<probe>", "eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _entries(text: str) -> list[Any]:
    """The items of the reply's "calls" list: from the whole JSON object, else the complete
    objects of a list cut short."""
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):
        whole = None
    else:
        if not isinstance(whole, dict):
            return []  # valid JSON, but not the object the schema asks for
    start = text.find("{")
    if start < 0:
        return []
    try:
        data = json.loads(text[start : text.rfind("}") + 1])
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        calls = data.get("calls")
        return calls[: MAX_CALLS * 4] if isinstance(calls, list) else []
    if data is not None:
        return []
    # Cut short (or prose after it): read the complete objects after `"calls": [`.
    key = text.find('"calls"', start)
    bracket = text.find("[", key) if key >= 0 else -1
    if bracket < 0:
        return []
    decoder = json.JSONDecoder()
    found: list[Any] = []
    at = bracket + 1
    while len(found) < MAX_CALLS * 4:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text) or text[at] != "{":
            break
        try:
            item, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            break
        found.append(item)
    return found
