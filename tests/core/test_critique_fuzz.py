"""Whatever a model (or a server in its name) sends back as a critique, the parser returns one
without raising: at most 24 points, each with a non-empty claim and either no lines or lines
1 <= start <= end <= MAX_LINE, and a verdict that is None or a real one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.fuzz_settings import FUZZ

from evalstudio.assist.critique import MAX_CLAIM, MAX_LINE, MAX_POINTS, parse_critique
from evalstudio.core.assistance import Critique
from evalstudio.core.model import Severity, Verdict

pytestmark = pytest.mark.fuzz


def _assert_sane(critique: Critique) -> None:
    assert isinstance(critique, Critique)
    assert len(critique.points) <= MAX_POINTS * 4
    for point in critique.points:
        assert isinstance(point.severity, Severity)
        assert isinstance(point.claim, str) and point.claim.strip() == point.claim != ""
        if not critique.structured:
            assert len(point.claim) <= MAX_CLAIM
        if point.lines is not None:
            assert 1 <= point.lines.start <= point.lines.end <= MAX_LINE, point.lines
    assert critique.verdict is None or isinstance(critique.verdict, Verdict)


@FUZZ
@given(st.text())
def test_any_text_parses_into_a_sane_critique(text: str) -> None:
    _assert_sane(parse_critique(text))


# Pieces of critiques and of JSON gone wrong: numbers past any line and past int()'s 4,300
# digits, nesting just past the recursion limit (each "{" is a start the parser tries: deeper
# and longer costs time, not cases), cut strings, free text that names lines.
FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    '"points"',
    '"verdict"',
    '"flawed"',
    '"acceptable"',
    '"line_start"',
    '"line_end"',
    '"severity"',
    '"claim"',
    '"major"',
    '"x"',
    ":",
    ",",
    " ",
    "\n",
    '"',
    "\\",
    "0",
    "1",
    "7",
    "-",
    "12",
    "1e999",
    "99999999999999999999",
    "9" * 4400,
    "[" * 1100,
    '{"a": ' + "[" * 1100,
    "true",
    "null",
    "NaN",
    "line ",
    "lines 3-5",
    "Line 999999999 is wrong.",
    "no bugs",
]
_json_like = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


@FUZZ
@given(_json_like)
def test_json_like_text_parses_into_a_sane_critique(text: str) -> None:
    _assert_sane(parse_critique(text))


# A critique's values as a model might get them wrong: any number, any type, any size.
_anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_line = st.integers(-5, 30) | st.integers() | st.sampled_from([10**30, MAX_LINE, MAX_LINE + 1])
_point = st.fixed_dictionaries(
    {
        "line_start": _line | _anything,
        "line_end": _line | _anything,
        "severity": st.sampled_from([s.value for s in Severity]) | _anything,
        "claim": st.text(min_size=1, max_size=40) | _anything,
    }
)
_critique = st.fixed_dictionaries(
    {
        "points": st.lists(_point | _anything, max_size=30) | _anything,
        "verdict": st.sampled_from([v.value for v in Verdict]) | _anything,
    }
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@FUZZ
@given(critique=_critique, before=st.text(max_size=20), after=st.text(max_size=20))
def test_a_critique_with_any_values_in_prose_parses_into_a_sane_critique(
    critique: dict[str, Any], before: str, after: str
) -> None:
    _assert_sane(parse_critique(f"{before}{_dumps(critique)}{after}"))


@FUZZ
@given(critique=_critique, data=st.data())
def test_a_critique_cut_anywhere_parses_into_a_sane_critique(
    critique: dict[str, Any], data: st.DataObject
) -> None:
    text = _dumps(critique)
    _assert_sane(parse_critique(text[: data.draw(st.integers(0, len(text)))]))
