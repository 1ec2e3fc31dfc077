"""The critique parser and schema: JSON, embedded JSON, truncated JSON, free text, and bounds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalstudio.assist.critique import (
    MAX_CLAIM,
    MAX_LINE,
    MAX_POINTS,
    critique_schema,
    parse_critique,
)
from evalstudio.core.assistance import Critique, CritiquePoint
from evalstudio.core.model import LineRange, Severity, Verdict

MAX_PARSED_POINTS = 24

POINTS: list[dict[str, Any]] = [
    {"quote": "for i in range(1, n):", "line_start": 2, "line_end": 3, "severity": "critical",
     "claim": "The loop skips index 0."},
    {"quote": "tmp = 0", "line_start": 5, "line_end": 5, "severity": "minor",
     "claim": "The name `tmp` is vague."},
    {"quote": "return xs[0]", "line_start": 7, "line_end": 9, "severity": "major",
     "claim": "Fails on an empty list."},
]  # fmt: skip
EXPECTED_POINTS = (
    CritiquePoint(
        LineRange(2, 3), Severity.CRITICAL, "The loop skips index 0.", "for i in range(1, n):"
    ),
    CritiquePoint(LineRange(5, 5), Severity.MINOR, "The name `tmp` is vague.", "tmp = 0"),
    CritiquePoint(LineRange(7, 9), Severity.MAJOR, "Fails on an empty list.", "return xs[0]"),
)
VALID = json.dumps({"points": POINTS, "verdict": "flawed"})


def _one_point(**fields: object) -> Critique:
    point: dict[str, object] = {"line_start": 4, "line_end": 4, "severity": "major", "claim": "x"}
    point.update(fields)
    return parse_critique(json.dumps({"points": [point], "verdict": "flawed"}))


# --- JSON ------------------------------------------------------------------------------------


def test_valid_json_parses_into_points_and_verdict() -> None:
    critique = parse_critique(VALID)
    assert critique == Critique(EXPECTED_POINTS, Verdict.FLAWED, structured=True)


def test_valid_json_with_no_points_and_acceptable_verdict() -> None:
    critique = parse_critique('{"points": [], "verdict": "acceptable"}')
    assert critique == Critique((), Verdict.ACCEPTABLE, structured=True)


def test_a_raw_newline_inside_a_claim_keeps_the_json() -> None:
    """The grammar lets the model write a raw newline inside a string; the JSON still counts."""
    text = '{"points": [{"line_start": 2, "line_end": 2, "severity": "major", "claim": "a\nb"}], '
    critique = parse_critique(text + '"verdict": "flawed"}')
    assert critique.structured and critique.points[0].claim == "a\nb"
    assert critique.verdict is Verdict.FLAWED


def test_json_embedded_in_prose_parses() -> None:
    critique = parse_critique(f"Here is my review: {VALID} Hope it helps")
    assert critique == Critique(EXPECTED_POINTS, Verdict.FLAWED, structured=True)


def test_truncated_json_keeps_the_complete_points() -> None:
    cut = VALID[: VALID.index("Fails on an empty")]  # mid-way through the 3rd point
    critique = parse_critique(cut)
    assert critique.structured is True
    assert critique.points == EXPECTED_POINTS[:2]


def test_truncated_json_cut_right_after_the_points_bracket_has_no_points() -> None:
    cut = VALID[: VALID.index("[") + 1]
    assert cut.endswith('"points": [')
    critique = parse_critique(cut)
    assert critique.structured is True
    assert critique.points == ()
    assert critique.verdict is None


@pytest.mark.parametrize("line", [0, -3, True, False, "4", 4.0, None])
def test_a_line_that_is_not_a_positive_integer_gives_no_lines(line: object) -> None:
    critique = _one_point(line_start=line, line_end=line)
    assert len(critique.points) == 1
    assert critique.points[0].lines is None


@pytest.mark.parametrize("line", [MAX_LINE + 1, 10**30])
def test_a_line_past_any_candidate_gives_no_lines(line: int) -> None:
    """Found by tests/core/test_critique_fuzz.py: 10**30 came through as a line, which overflows
    Qt's int when the review scrolls to it and SQLite's when a flaw is made from the point."""
    assert _one_point(line_start=line, line_end=line).points[0].lines is None
    assert _one_point(line_start=3, line_end=line).points[0].lines == LineRange(3, 3)


def test_an_end_before_the_start_is_clamped_to_the_start() -> None:
    assert _one_point(line_start=8, line_end=3).points[0].lines == LineRange(8, 8)


@pytest.mark.parametrize("end", [True, "9", None, 0])
def test_an_end_that_is_not_an_integer_is_clamped_to_the_start(end: object) -> None:
    assert _one_point(line_start=6, line_end=end).points[0].lines == LineRange(6, 6)


@pytest.mark.parametrize("severity", ["catastrophic", "", None, 3])
def test_an_unknown_severity_becomes_major(severity: object) -> None:
    assert _one_point(severity=severity).points[0].severity is Severity.MAJOR


def test_severity_and_verdict_are_read_case_insensitively() -> None:
    critique = parse_critique(
        json.dumps(
            {
                "points": [{"line_start": 1, "line_end": 1, "severity": "CRITICAL", "claim": "x"}],
                "verdict": "Acceptable",
            }
        )
    )
    assert critique.points[0].severity is Severity.CRITICAL
    assert critique.verdict is Verdict.ACCEPTABLE


@pytest.mark.parametrize("verdict", ["maybe", "", None, 1])
def test_an_unknown_verdict_becomes_none(verdict: object) -> None:
    critique = parse_critique(json.dumps({"points": [], "verdict": verdict}))
    assert critique.structured is True
    assert critique.verdict is None


def test_points_without_a_claim_are_dropped() -> None:
    points = [
        {"line_start": 1, "line_end": 1, "severity": "major"},
        {"line_start": 2, "line_end": 2, "severity": "major", "claim": ""},
        {"line_start": 3, "line_end": 3, "severity": "major", "claim": "   "},
        {"line_start": 4, "line_end": 4, "severity": "major", "claim": 42},
        {"line_start": 5, "line_end": 5, "severity": "minor", "claim": "  kept  "},
        "not a point",
    ]
    critique = parse_critique(json.dumps({"points": points, "verdict": "flawed"}))
    assert critique.points == (CritiquePoint(LineRange(5, 5), Severity.MINOR, "kept"),)


def test_a_number_too_long_for_int_does_not_raise() -> None:
    # Python refuses to convert integer strings over 4,300 digits (a ValueError from json).
    text = '{"points": [], "verdict": "flawed", "tokens": ' + "9" * 5000 + "}"
    critique = parse_critique(text)
    assert critique.verdict is Verdict.FLAWED


# --- free text -------------------------------------------------------------------------------


def test_free_text_naming_a_line_gives_a_point_and_a_flawed_verdict() -> None:
    text = "Line 4 has an off-by-one error (major)."
    critique = parse_critique(text)
    assert critique == Critique(
        (CritiquePoint(LineRange(4, 4), Severity.MAJOR, text),), Verdict.FLAWED, structured=False
    )


@pytest.mark.parametrize(
    "text",
    [
        "lines 3-5 compute the total twice.",
        "lines 3 to 5 compute the total twice.",
        "Lines 3\u20135 compute the total twice.",
    ],
)
def test_free_text_naming_a_line_range_gives_that_range(text: str) -> None:
    critique = parse_critique(text)
    assert [p.lines for p in critique.points] == [LineRange(3, 5)]
    assert critique.structured is False


def test_free_text_severity_is_read_from_the_sentence() -> None:
    critique = parse_critique("Line 2 is a minor style issue. Line 9 is a critical bug.")
    assert [(p.lines, p.severity) for p in critique.points] == [
        (LineRange(2, 2), Severity.MINOR),
        (LineRange(9, 9), Severity.CRITICAL),
    ]


def test_free_text_saying_no_bugs_gives_acceptable_and_no_points() -> None:
    critique = parse_critique("No bugs found, the code is correct.")
    assert critique == Critique((), Verdict.ACCEPTABLE, structured=False)


def test_empty_text_gives_no_points_and_no_verdict() -> None:
    assert parse_critique("") == Critique((), None, structured=False)


def test_free_text_claims_are_cut_to_the_maximum_length() -> None:
    critique = parse_critique("Line 1 " + "is wrong " * 100)
    assert len(critique.points[0].claim) == MAX_CLAIM


# --- properties ------------------------------------------------------------------------------

# Never raising, on any text: tests/core/test_critique_fuzz.py.


@settings(max_examples=300)
@given(st.integers(min_value=VALID.index("[") + 1, max_value=len(VALID)))
def test_every_prefix_past_the_points_bracket_keeps_a_leading_run_of_points(cut: int) -> None:
    critique = parse_critique(VALID[:cut])
    assert critique.structured is True
    assert critique.points == EXPECTED_POINTS[: len(critique.points)]


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=200))
def test_the_number_of_points_never_exceeds_24(count: int) -> None:
    point = {"line_start": 1, "line_end": 1, "severity": "minor", "claim": "x"}
    as_json = json.dumps({"points": [point] * count, "verdict": "flawed"})
    as_text = " ".join(f"Line {n} is wrong." for n in range(1, count + 1))
    assert len(parse_critique(as_json).points) == min(count, MAX_PARSED_POINTS)
    assert len(parse_critique(as_text).points) == min(count, MAX_PARSED_POINTS)


# --- schema ----------------------------------------------------------------------------------


def _walk(node: object) -> list[dict[str, Any]]:
    """Every dict in the schema, depth first."""
    if isinstance(node, dict):
        return [node, *(d for value in node.values() for d in _walk(value))]
    if isinstance(node, list):
        return [d for value in node for d in _walk(value)]
    return []


@pytest.mark.parametrize(
    "schema",
    [
        critique_schema(),
        critique_schema(max_points=2),
        critique_schema(verdicts=(Verdict.ACCEPTABLE,)),
        critique_schema(min_points=3, max_points=3, verdicts=(Verdict.FLAWED,), first_line=4),
    ],
)
def test_every_array_and_string_in_the_schema_is_bounded(schema: dict[str, Any]) -> None:
    nodes = _walk(schema)
    arrays = [n for n in nodes if n.get("type") == "array"]
    strings = [n for n in nodes if n.get("type") == "string"]
    assert arrays and strings
    assert all(isinstance(n.get("maxItems"), int) for n in arrays)
    assert all(isinstance(n.get("maxLength"), int) for n in strings)


def test_the_default_schema_allows_both_verdicts_and_any_integer_line() -> None:
    schema = critique_schema()
    point = schema["properties"]["points"]["items"]["properties"]
    assert schema["properties"]["verdict"]["enum"] == ["flawed", "acceptable"]
    assert schema["properties"]["points"]["maxItems"] == MAX_POINTS
    assert point["line_start"] == {"type": "integer"}
    assert point["line_end"] == {"type": "integer"}
    assert point["claim"]["maxLength"] == MAX_CLAIM
    assert point["severity"]["enum"] == ["minor", "major", "critical"]


def test_verdicts_narrow_the_verdict_enum() -> None:
    schema = critique_schema(verdicts=(Verdict.ACCEPTABLE,))
    assert schema["properties"]["verdict"]["enum"] == ["acceptable"]


def test_first_line_fixes_the_first_of_a_fixed_number_of_points() -> None:
    points = critique_schema(min_points=2, max_points=2, first_line=7)["properties"]["points"]
    first, second = points["prefixItems"]
    assert first["properties"]["line_start"] == first["properties"]["line_end"] == {"enum": [7]}
    assert second["properties"]["line_start"] == {"type": "integer"}
    assert "items" not in points  # llama.cpp would read "items" before "prefixItems"


@pytest.mark.parametrize(("least", "most"), [(0, 0), (1, 2), (0, 6)])
def test_a_first_line_needs_a_fixed_number_of_points_at_least_one(least: int, most: int) -> None:
    with pytest.raises(ValueError, match="fixed number of points"):
        critique_schema(min_points=least, max_points=most, first_line=3)


def test_max_points_sets_max_items() -> None:
    assert critique_schema(max_points=3)["properties"]["points"]["maxItems"] == 3


def test_a_critique_valid_under_the_schema_parses_back() -> None:
    schema = critique_schema()
    required = schema["properties"]["points"]["items"]["required"]
    assert all(set(required) <= set(p) for p in POINTS)
    assert parse_critique(VALID).points == EXPECTED_POINTS
