"""A critique point is placed by the text it quotes, then by the lines it names (issue 19 §1):
hand-made replies go through the parser and the placement, and the panel shows, selects and
makes flaws of points where they were placed."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from evalstudio.assist.critique import MAX_QUOTE, parse_critique, plan_schema
from evalstudio.core.assistance import AssistEvent, AssistKind, Manipulation, Outcome
from evalstudio.core.misleading import MisleadingPlan
from evalstudio.core.model import LineRange, Span, inside
from evalstudio.core.point_placement import PlacedPoint, Placement, find_quote, place
from evalstudio.ui.review.assistant_panel import AssistantPanel

CODE = """def mean(xs):
    total = 0
    for x in xs:
        total += x
    return total / (len(xs) - 1)

def first(xs):
    return xs[0]
"""


def _point(quote: str | None, start: int | None = None, end: int | None = None) -> str:
    point = {"severity": "major", "claim": "wrong"}
    if quote is not None:
        point["quote"] = quote
    if start is not None:
        point |= {"line_start": start, "line_end": end or start}
    return json.dumps(point)


def _placed(quote: str | None, start: int | None = None, end: int | None = None) -> PlacedPoint:
    reply = f'{{"points": [{_point(quote, start, end)}], "verdict": "flawed"}}'
    (point,) = parse_critique(reply).points
    return place(point, CODE)


def test_a_point_off_by_a_few_lines_is_snapped_to_its_quote() -> None:
    placed = _placed("return total / (len(xs) - 1)", 3)
    assert placed.placement is Placement.SNAPPED
    assert placed.lines == LineRange(5, 5)
    assert placed.span is not None
    assert CODE[placed.span.start : placed.span.end] == "return total / (len(xs) - 1)"


def test_a_point_on_lines_that_hold_its_quote_stays_as_named() -> None:
    placed = _placed("total += x", 3, 4)
    assert placed.placement is Placement.NAMED and placed.lines == LineRange(3, 4)


def test_lines_the_answer_lacks_are_corrected_by_a_quote_and_unplaced_without_one() -> None:
    assert _placed("return xs[0]", 45, 85).lines == LineRange(8, 8)
    unplaced = _placed("return xs[-1]", 45, 85)
    assert unplaced.placement is Placement.UNPLACED and not unplaced.can_be_flaw
    assert unplaced.lines is None
    assert _placed(None, 32, 100).placement is Placement.UNPLACED


def test_a_quote_not_found_leaves_lines_the_answer_has() -> None:
    placed = _placed("nothing like this", 2)
    assert placed.placement is Placement.NAMED and placed.lines == LineRange(2, 2)
    assert placed.span is None and placed.can_be_flaw


def test_a_repeated_quote_is_placed_at_the_occurrence_nearest_the_named_lines() -> None:
    code = "x = 1\ny = 2\nx = 1\nz = 3\nw = 4\nx = 1\n"
    (point,) = parse_critique(f'{{"points": [{_point("x = 1", 5)}]}}').points
    assert place(point, code).lines == LineRange(6, 6)
    (point,) = parse_critique(f'{{"points": [{_point("x = 1", 3)}]}}').points
    assert place(point, code).placement is Placement.NAMED


def test_a_quote_is_found_whatever_its_line_numbers_spacing_case_or_ellipsis() -> None:
    assert _placed("5 | return total / (len(xs)   - 1)").lines == LineRange(5, 5)
    assert _placed("for x in xs:\n        total += x").lines == LineRange(3, 4)
    assert _placed("FOR X IN XS:").lines == LineRange(3, 3)
    assert _placed("...total += x…").lines == LineRange(4, 4)


def test_a_quote_too_short_to_mean_anything_is_not_looked_for() -> None:
    assert find_quote("xs", CODE) == [] and find_quote("  ", CODE) == []
    assert _placed(")", 2).placement is Placement.NAMED
    assert _placed("", None).placement is Placement.GENERAL


def test_free_text_quotes_code_in_backticks() -> None:
    (point,) = parse_critique("Line 2 is wrong: `return xs[0]` fails on an empty list.").points
    assert point.quote == "return xs[0]"
    assert place(point, CODE).lines == LineRange(8, 8)


def test_a_quote_of_the_wrong_type_or_length_is_dropped_or_cut() -> None:
    reply = (
        '{"points": [{"quote": 12, "line_start": 2, "line_end": 2, "severity": "minor",'
        f' "claim": "a"}}, {_point("x" * 5000, 1)}]}}'
    )
    first, second = parse_critique(reply).points
    assert first.quote is None
    assert second.quote is not None and len(second.quote) == MAX_QUOTE


@given(
    st.lists(st.text(st.characters(codec="utf-8"), max_size=30), min_size=1, max_size=40),
    st.integers(0, 60),
    st.integers(1, 60),
)
def test_wherever_a_quote_is_found_the_point_is_inside_and_on_it(
    rows: list[str], chosen: int, named: int
) -> None:
    candidate = "\n".join(rows)
    quote = rows[chosen % len(rows)]
    reply = json.dumps(
        {"points": [{"quote": quote, "line_start": named, "line_end": named, "claim": "c"}]}
    )
    for point in parse_critique(reply).points:
        placed = place(point, candidate)
        if placed.lines is not None:
            assert inside(placed.lines, candidate)
        if placed.span is not None:  # the lines shown hold the quote found
            assert placed.lines is not None
            first = candidate.count("\n", 0, placed.span.start) + 1
            last = first + candidate.count("\n", placed.span.start, placed.span.end - 1)
            assert placed.lines.overlaps(LineRange(first, last))


def test_a_million_line_candidate_is_searched_once_per_point() -> None:
    candidate = "x = 1\n" * 1_000_000
    (point,) = parse_critique(f'{{"points": [{_point("x = 1", 999_999)}]}}').points
    placed = place(point, candidate)
    assert placed.lines is not None and inside(placed.lines, candidate)


def test_a_manipulated_flag_quotes_the_line_it_flags() -> None:
    schema = plan_schema(MisleadingPlan(Manipulation.FLAG, 3, None, 2), CODE)
    first = schema["properties"]["points"]["prefixItems"][0]["properties"]
    assert first["quote"] == {"enum": ["for x in xs:"]}
    assert first["line_start"] == {"enum": [3]}
    honest = plan_schema(MisleadingPlan(None, None), CODE)["properties"]["points"]["items"]
    assert honest["properties"]["quote"] == {"type": "string", "maxLength": MAX_QUOTE}
    assert honest["required"][0] == "quote"


def _event(response: str) -> AssistEvent:
    return AssistEvent(
        "e1", "i1", "a1", AssistKind.CRITIQUE, Outcome.DONE, response, None, "m", 1,
        None, None, "2026-01-01T00:00:00", None, None, False, False,
    )  # fmt: skip


def test_the_panel_shows_selects_and_makes_flaws_where_points_were_placed(qtbot: QtBot) -> None:
    panel = AssistantPanel()
    qtbot.addWidget(panel)
    chosen: list[PlacedPoint | None] = []
    flaws: list[tuple[str, int, PlacedPoint]] = []
    panel.point_selected.connect(chosen.append)
    panel.flaw_from_point.connect(lambda *args: flaws.append(args))
    reply = (
        f'{{"points": [{_point("return total / (len(xs) - 1)", 1)},'
        f' {_point("return xs[1]", 40)}, {_point("total = 0", 2)}], "verdict": "flawed"}}'
    )
    panel.reset([_event(reply)], {}, CODE)
    rows = [panel.points.item(i).text() for i in range(panel.points.count())]
    assert rows[0].startswith("Line 5 (named line 1; placed by its quote)")
    assert rows[1].startswith("Unplaced (line 40: the answer has 8)")
    assert rows[2].startswith("Line 2 ·")
    assert panel.points.item(0).toolTip() == "Quotes: return total / (len(xs) - 1)"
    assert "placed by its quote" in panel.response_view.toPlainText()
    panel.points.setCurrentRow(0)
    assert chosen[-1] is not None and chosen[-1].lines == LineRange(5, 5)
    panel.add_flaw_button.click()
    assert flaws[-1][2].lines == LineRange(5, 5)
    panel.points.setCurrentRow(1)
    assert chosen[-1] is None and not panel.add_flaw_button.isEnabled()


def test_on_text_a_point_carries_the_characters_of_its_quote() -> None:
    text = "The Eiffel Tower is in Paris.\nIt was finished in 1899.\nIt is 330 m tall.\n"
    (point,) = parse_critique(f'{{"points": [{_point("finished in 1899", 1)}]}}').points
    placed = place(point, text)
    assert placed.lines == LineRange(2, 2)
    assert placed.span == Span(text.index("finished"), text.index("1899") + 4)
