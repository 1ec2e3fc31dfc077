"""The candidate run as assistance (issue 19 §2): what a call of the candidate gave, and what a
Run, Examples or Probe response holds. Pure: no process, no model, no SQL.

A response of kind run / examples / probe is stored in the assistance log as JSON
(`response_json`), one entry per call: the call as written, how it ended, the value's repr or
the exception with the candidate's line, what it printed (clipped), and for an example what
the task says it should give. Nothing of a pair's twin or test is ever in it.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

MAX_INPUT_CHARS = 2000  # what the evaluator may type into Run
MAX_VALUE_CHARS = 2000  # a value's repr, as shown
MAX_PRINTED_CHARS = 4000  # what one call printed, as shown (its start; the size is said)
MAX_REASON_CHARS = 200


class CallStatus(StrEnum):
    """How one call ended."""

    VALUE = "value"  # returned (the value may be None)
    RAISED = "raised"  # raised an exception: the candidate's behaviour, not a failure of ours
    TIMEOUT = "timeout"  # stopped by the time limit
    FORBIDDEN = "forbidden"  # tried the network, a process or a write outside (the sandbox)
    CRASHED = "crashed"  # the process died (a signal, memory, the output limit)
    NOT_RUN = "not_run"  # an earlier call ended the process, or the candidate did not load
    INVALID = "invalid"  # not a Python expression or statement we run


@dataclass(frozen=True)
class CallResult:
    """One call of the candidate: `value` is the repr (clipped), `exception` "TypeError: ..."
    and `line` the candidate's line it was raised from (None: outside the candidate)."""

    call: str
    status: CallStatus
    value: str | None = None
    exception: str | None = None
    line: int | None = None
    printed: str = ""
    printed_chars: int = 0  # how much it printed in all (`printed` keeps the start)
    ms: float = 0.0
    detail: str = ""  # for timeout / forbidden / crashed / not_run / invalid: why

    def shown(self) -> str:
        """One line for a table cell: the value, or what happened instead."""
        if self.status is CallStatus.VALUE:
            return self.value or "None"
        if self.status is CallStatus.RAISED:
            where = f" (line {self.line})" if self.line is not None else ""
            return f"raised {self.exception}{where}"
        return {
            CallStatus.TIMEOUT: "stopped: ",
            CallStatus.FORBIDDEN: "stopped: ",
            CallStatus.CRASHED: "stopped: ",
            CallStatus.NOT_RUN: "not run: ",
            CallStatus.INVALID: "not run: ",
        }[self.status] + self.detail


class ExampleVerdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"  # the call did not end (time limit, sandbox): no verdict either way


@dataclass(frozen=True)
class Example:
    """An example the task states: `call` should give `expected` (an expression, or the text a
    doctest shows), or raise `raises` (an exception's name)."""

    call: str
    expected: str | None
    raises: str | None = None
    doctest: bool = False  # `expected` is a doctest's output text (compared as text too)
    source: str = ""  # the line of the task it came from


@dataclass(frozen=True)
class ExampleCheck:
    example: Example
    result: CallResult
    verdict: ExampleVerdict


@dataclass(frozen=True)
class ProbeRow:
    """A call the model proposed, why, and what it gave."""

    result: CallResult
    reason: str


def input_problem(text: str) -> str | None:
    """Why the evaluator's Run input is not run (None: it is). It must be Python: an
    expression, or statements ending with one whose value is shown (like the REPL)."""
    if not text.strip():
        return "type a call or an expression, e.g. f(1, 2)"
    if len(text) > MAX_INPUT_CHARS:
        return f"the input is {len(text):,} characters; at most {MAX_INPUT_CHARS:,} are run"
    if "\x00" in text:
        return "the input holds a NUL character"
    try:
        ast.parse(text, "<input>", "exec")
    except SyntaxError as e:
        where = f" (column {e.offset})" if e.offset and "\n" not in text else ""
        return f"not valid Python{where}: {e.msg}"
    except (ValueError, RecursionError, MemoryError):
        return "not valid Python: nested too deep"
    return None


def _result_json(r: CallResult) -> dict[str, Any]:
    data = {
        "call": r.call,
        "status": r.status.value,
        "value": r.value,
        "exception": r.exception,
        "line": r.line,
        "printed": r.printed,
        "printed_chars": r.printed_chars,
        "ms": round(r.ms, 1),
        "detail": r.detail,
    }
    return {k: v for k, v in data.items() if v not in (None, "", 0)} | {"status": r.status.value}


def _text(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    return value[:limit] if isinstance(value, str) else None


def _result_of(data: Any) -> CallResult | None:
    """A stored entry back as a CallResult; None for anything that is not one."""
    if not isinstance(data, dict):
        return None
    try:
        status = CallStatus(str(data.get("status")))
    except ValueError:
        return None
    line, ms, chars = data.get("line"), data.get("ms"), data.get("printed_chars")
    return CallResult(
        call=_text(data, "call", MAX_INPUT_CHARS) or "",
        status=status,
        value=_text(data, "value", MAX_VALUE_CHARS),
        exception=_text(data, "exception", MAX_VALUE_CHARS),
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        printed=_text(data, "printed", MAX_PRINTED_CHARS) or "",
        printed_chars=chars if isinstance(chars, int) and not isinstance(chars, bool) else 0,
        ms=float(ms) if isinstance(ms, int | float) and not isinstance(ms, bool) else 0.0,
        detail=_text(data, "detail", 500) or "",
    )


def run_json(results: list[CallResult]) -> str:
    return json.dumps({"calls": [_result_json(r) for r in results]})


def examples_json(checks: list[ExampleCheck]) -> str:
    entries = []
    for c in checks:
        e = c.example
        entries.append(
            _result_json(c.result)
            | {
                "expected": e.expected,
                "raises": e.raises,
                "doctest": e.doctest,
                "verdict": c.verdict.value,
            }
        )
    return json.dumps({"examples": entries})


def probe_json(rows: list[ProbeRow]) -> str:
    return json.dumps({"calls": [_result_json(r.result) | {"reason": r.reason} for r in rows]})


def _entries(text: str, key: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return []
    entries = data.get(key) if isinstance(data, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def run_of(text: str) -> list[CallResult]:
    """A stored Run response as results; never raises (a damaged one gives fewer)."""
    return [r for r in map(_result_of, _entries(text, "calls")) if r is not None]


def examples_of(text: str) -> list[ExampleCheck]:
    checks = []
    for entry in _entries(text, "examples"):
        result = _result_of(entry)
        try:
            verdict = ExampleVerdict(str(entry.get("verdict")))
        except ValueError:
            continue
        if result is None:
            continue
        example = Example(
            result.call,
            _text(entry, "expected", MAX_VALUE_CHARS),
            _text(entry, "raises", 200),
            entry.get("doctest") is True,
        )
        checks.append(ExampleCheck(example, result, verdict))
    return checks


def probe_of(text: str) -> list[ProbeRow]:
    rows = []
    for entry in _entries(text, "calls"):
        result = _result_of(entry)
        if result is not None:
            rows.append(ProbeRow(result, _text(entry, "reason", MAX_REASON_CHARS) or ""))
    return rows


def judged(example: Example, result: CallResult, equal: bool | None) -> ExampleCheck:
    """An example's verdict from its result; `equal`: the child's comparison of the value with
    the expected one (None: not compared). A doctest also passes when the text it shows (what
    was printed, then the value's repr unless None) equals the expected text."""
    if result.status is CallStatus.RAISED:
        wanted = example.raises
        name = (result.exception or "").split(":", 1)[0].strip()
        ok = wanted is not None and (name == wanted or name.endswith("." + wanted))
        return ExampleCheck(example, result, ExampleVerdict.PASSED if ok else ExampleVerdict.FAILED)
    if result.status is not CallStatus.VALUE:
        return ExampleCheck(example, result, ExampleVerdict.NOT_RUN)
    if example.raises is not None:
        return ExampleCheck(example, result, ExampleVerdict.FAILED)
    ok = bool(equal)
    if not ok and example.doctest and example.expected is not None:
        shown = result.printed
        if result.value is not None and result.value != "None":
            shown += result.value
        ok = _squashed(shown) == _squashed(example.expected)
    return ExampleCheck(example, result, ExampleVerdict.PASSED if ok else ExampleVerdict.FAILED)


def _squashed(text: str) -> str:
    return " ".join(text.split())


def clipped_result(result: CallResult, call: str) -> CallResult:
    """The result with the call as the evaluator or the task wrote it."""
    return replace(result, call=call[:MAX_INPUT_CHARS])
