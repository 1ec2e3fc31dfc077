"""The structured critique: the JSON schema the model is held to, and a parser that never fails.

Every array and string in the schema is bounded: unbounded, the bundled model ran to
max_tokens listing line numbers in 6 of 10 runs (docs/engine.md).

A manipulated critique's schema (`plan_schema`) fixes its verdict and, for a FLAG, the line of
its first point, and nothing else: its points are the honest ones' (the same properties, the
same bounds on a claim's length), as many as its plan drew from the honest critiques' numbers.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jiter

from evalstudio.core.assistance import Critique, CritiquePoint, Manipulation
from evalstudio.core.expert import ExpertView
from evalstudio.core.misleading import MAX_POINTS, MisleadingPlan
from evalstudio.core.model import LineRange, Severity, Verdict, line_count

MAX_CLAIM = 300
# A point's quote: a line or two of the candidate, verbatim (core/point_placement.py finds it).
MAX_QUOTE = 160
# The highest line a point may name, as in free text (six digits): a larger number is no line
# of a candidate, and would overflow Qt's int (scrolling to it) and SQLite's (a flaw from it).
MAX_LINE = 999_999


def critique_schema(
    *,
    min_points: int = 0,
    max_points: int = MAX_POINTS,
    verdicts: tuple[Verdict, ...] = (Verdict.FLAWED, Verdict.ACCEPTABLE),
    first_line: int | None = None,
    first_quote: str | None = None,
    lines: int | None = None,
) -> dict[str, Any]:
    """The JSON schema of a critique. `verdicts` narrows it and `first_line` (with
    `first_quote`, that line's text) fixes where the first point is: with them the misleading
    assistant fixes a manipulated one's direction. `lines`: the candidate's number of lines,
    that every point's lines are bounded to (a request always gives it; assist/grammar.py
    holds the local model to it)."""
    number: dict[str, Any] = {"type": "integer"}
    if lines is not None:
        number |= {"minimum": 1, "maximum": max(1, min(lines, MAX_LINE))}
    points: dict[str, Any] = {
        "type": "array",
        "items": _point(number, _QUOTE),
        "minItems": min_points,
        "maxItems": max_points,
    }
    if first_line is not None:
        if not 1 <= min_points == max_points:
            raise ValueError("a fixed first line needs a fixed number of points, at least one")
        # A tuple (prefixItems) of that many points, the first on the line: llama.cpp's
        # converters turn a list of items into exactly those items, and have no "contains".
        del points["items"]
        line = {"enum": [first_line]}
        quote = _QUOTE if first_quote is None else {"enum": [first_quote[:MAX_QUOTE]]}
        first = _point(line, quote)
        points["prefixItems"] = [first] + [_point(number, _QUOTE)] * (max_points - 1)
    return {
        "type": "object",
        "properties": {"points": points, "verdict": {"enum": [v.value for v in verdicts]}},
        "required": ["points", "verdict"],
    }


_QUOTE = {"type": "string", "maxLength": MAX_QUOTE}


def _point(
    line: dict[str, Any],
    quote: dict[str, Any],
    end: dict[str, Any] | None = None,
    severities: tuple[Severity, ...] = tuple(Severity),
) -> dict[str, Any]:
    # The quote comes first: the model picks the text it means, then numbers it.
    return {
        "type": "object",
        "properties": {
            "quote": quote,
            "line_start": line,
            "line_end": line if end is None else end,
            "severity": {"enum": [s.value for s in severities]},
            # A point says something: an empty claim was read as no point (the bundled model
            # wrote them), and a manipulated FLAG lost the point on its line.
            "claim": {"type": "string", "minLength": 1, "maxLength": MAX_CLAIM},
        },
        "required": ["quote", "line_start", "line_end", "severity", "claim"],
    }


def expert_schema(view: ExpertView, candidate: str) -> dict[str, Any]:
    """The schema of the expert's critique worded by a model: the answer key's verdict and, on
    a flawed twin, exactly one point at the planted lines with the planted severity, quoting
    the first of them. Only the claim's words are the model's."""
    lines = line_count(candidate)
    if view.flaw is None:
        return critique_schema(min_points=0, max_points=0, verdicts=(view.verdict,), lines=lines)
    flaw = view.flaw
    quote = _line_text(candidate, flaw.lines.start)
    point = _point(
        {"enum": [flaw.lines.start]},
        _QUOTE if quote is None else {"enum": [quote]},
        end={"enum": [flaw.lines.end]},
        severities=(flaw.severity,),
    )
    return {
        "type": "object",
        "properties": {
            "points": {"type": "array", "prefixItems": [point], "minItems": 1, "maxItems": 1},
            "verdict": {"enum": [view.verdict.value]},
        },
        "required": ["points", "verdict"],
    }


def expert_critique_text(view: ExpertView, candidate: str) -> str:
    """The expert's critique worded by the template: the JSON a critique is, its one point the
    planted flaw with the key's own description as the claim (none on a correct twin)."""
    points = []
    if view.flaw is not None:
        flaw = view.flaw
        points.append(
            {
                "quote": _line_text(candidate, flaw.lines.start) or "",
                "line_start": flaw.lines.start,
                "line_end": flaw.lines.end,
                "severity": flaw.severity.value,
                "claim": flaw.description.strip()[:MAX_CLAIM] or "This is where the flaw is.",
            }
        )
    return json.dumps({"points": points, "verdict": view.verdict.value}, ensure_ascii=False)


def plan_schema(plan: MisleadingPlan, candidate: str | None = None) -> dict[str, Any]:
    """The schema of a critique of `candidate` under `plan`: an honest one's, or a manipulated
    one's, whose verdict is the one it argues and whose points are exactly as many as the plan
    drew (from the honest critiques' numbers, so their number tells nothing), a FLAG's first on
    its line and quoting it. The flagged point comes first as the system prompt asks of the
    most important one."""
    lines = line_count(candidate) if candidate is not None else None
    if plan.manipulation is None:
        return critique_schema(lines=lines)
    count = plan.points
    if count is None:
        raise ValueError("a manipulated critique's plan has no number of points")
    if plan.manipulation is Manipulation.PASS:
        return critique_schema(
            min_points=count, max_points=count, verdicts=(Verdict.ACCEPTABLE,), lines=lines
        )
    if plan.flag_line is None:
        raise ValueError("a FLAG's plan has no line")
    return critique_schema(
        min_points=count,
        max_points=count,
        verdicts=(Verdict.FLAWED,),
        first_line=plan.flag_line,
        first_quote=_line_text(candidate, plan.flag_line),
        lines=lines,
    )


def _line_text(candidate: str | None, line: int) -> str | None:
    """The flagged line as a fixed quote; None (a free one) when it is blank, or holds astral
    characters, which llama-cpp-python's converter writes as invalid UTF-8 (docs/engine.md)."""
    if candidate is None:
        return None
    lines = candidate.splitlines()
    text = lines[line - 1].strip()[:MAX_QUOTE] if 1 <= line <= len(lines) else ""
    if not text or any(ord(c) > 0xFFFF for c in text):
        return None
    return text


_LINES = re.compile(r"\blines?\s+(\d{1,6})(?:\s*(?:-|\u2013|to|and)\s*(\d{1,6}))?", re.IGNORECASE)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")  # free text quotes code in backticks
_SEVERITY = re.compile(r"\b(minor|major|critical)\b", re.IGNORECASE)
_FLAWED = re.compile(r"\b(bug|incorrect|wrong|flaw|error|fails?|mistake)\b", re.IGNORECASE)
_ACCEPTABLE = re.compile(
    r"\b(no (?:bugs?|issues?|errors?|flaws?)|looks correct|is correct)\b", re.IGNORECASE
)


def parse_critique(text: str) -> Critique:
    """Parse a model's critique: the JSON of `critique_schema`, else any JSON object in the
    text, else the complete points of JSON cut short (by max_tokens, or mid-stream), else
    free text (sentences that name lines become points). Never raises."""
    data = _json_object(text)
    if data is None or "points" not in data:
        # The outer object may be cut short; its complete points still count.
        data = _truncated_json(text) or data
    if data is not None:
        structured = _from_json(data)
        if structured is not None:
            return structured
    return _from_free_text(text)


def parse_partial_critique(text: str) -> Critique:
    """A critique still streaming, as far as it is written: its JSON's prefix read by jiter's
    partial mode, so the point being written counts once its claim has begun (its claim
    growing with each repaint). Text that is no JSON goes to `parse_critique`. Never raises."""
    start = text.find("{")
    if start != -1:
        try:
            data = jiter.from_json(text[start:].encode(), partial_mode="trailing-strings")
        except ValueError:
            data = None
        if isinstance(data, dict):
            found = _from_json(data)
            if found is not None:
                return found
    return parse_critique(text)


# strict=False: a raw newline or tab inside a string is kept, not a reason to give up the JSON
# (the local grammar excludes them, assist/grammar.py; a server's model need not).
_DECODER = json.JSONDecoder(strict=False)


def _json_object(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    while start != -1:
        try:
            value, _ = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):  # ValueError: also over-long integers
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


_POINTS = re.compile(r'"points"\s*:\s*\[')
_VERDICT = re.compile(r'"verdict"\s*:\s*"(\w+)"')


def _truncated_json(text: str) -> dict[str, Any] | None:
    """The complete point objects of a critique whose JSON was cut short."""
    match = _POINTS.search(text)
    if match is None:
        return None
    decoder = _DECODER
    points: list[Any] = []
    position = match.end()
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] != "{":
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):  # ValueError: also over-long integers
            break
        points.append(value)
    verdict = _VERDICT.search(text)
    return {"points": points, "verdict": verdict.group(1) if verdict else None}


def _from_json(data: dict[str, Any]) -> Critique | None:
    raw_points = data.get("points")
    if not isinstance(raw_points, list):
        return None
    points = []
    for raw in raw_points[: MAX_POINTS * 4]:
        if not isinstance(raw, dict):
            continue
        claim = raw.get("claim")
        if not isinstance(claim, str) or not claim.strip():
            continue
        points.append(
            CritiquePoint(
                _range(raw.get("line_start"), raw.get("line_end")),
                _severity(raw.get("severity")),
                claim.strip(),
                _quote(raw.get("quote")),
            )
        )
    verdict = data.get("verdict")
    return Critique(tuple(points), _verdict(verdict), structured=True)


def _range(start: object, end: object) -> LineRange | None:
    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= MAX_LINE:
        return None
    if isinstance(end, bool) or not isinstance(end, int) or not start <= end <= MAX_LINE:
        end = start
    return LineRange(start, end)


def _quote(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value[:MAX_QUOTE]


def _severity(value: object) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        return Severity.MAJOR


def _verdict(value: object) -> Verdict | None:
    try:
        return Verdict(str(value).lower())
    except ValueError:
        return None


def _from_free_text(text: str) -> Critique:
    points = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        match = _LINES.search(sentence)
        if match is None or not sentence.strip():
            continue
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else start
        severity = _SEVERITY.search(sentence)
        points.append(
            CritiquePoint(
                _range(start, end),
                Severity(severity.group(1).lower()) if severity else Severity.MAJOR,
                sentence.strip()[:MAX_CLAIM],
                _quote(quoted.group(1)) if (quoted := _CODE_SPAN.search(sentence)) else None,
            )
        )
    if points or (_FLAWED.search(text) and not _ACCEPTABLE.search(text)):
        verdict: Verdict | None = Verdict.FLAWED
    elif _ACCEPTABLE.search(text):
        verdict = Verdict.ACCEPTABLE
    else:
        verdict = None
    return Critique(tuple(points[: MAX_POINTS * 4]), verdict, structured=False)
