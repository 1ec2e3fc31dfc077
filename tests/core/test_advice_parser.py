"""The assistant's comparison of two answers as the window reads it: whatever the reply, an
Advice (never an exception), and what it could not read is no preference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalstudio.assist.comparison import advice_schema, advice_text, parse_advice
from evalstudio.core.comparison import BETTER, MUCH_BETTER, Advice

AB = ("A", "B")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"better": "B", "strength": "much better", "reasons": ["B adds."]}',
         Advice("B", MUCH_BETTER, ("B adds.",), True)),
        ('{"better": "same", "strength": "better", "reasons": ["Both add."]}',
         Advice(None, None, ("Both add.",), True)),
        # A raw newline in a string (the pinned grammar allows it) is read as a space.
        ('{"better": "A", "strength": "better", "reasons": ["one\nline"]}',
         Advice("A", BETTER, ("one line",), True)),
        # Cut short by max_tokens: what was written.
        ('{"better": "A", "strength": "much better", "reasons": ["A is',
         Advice("A", MUCH_BETTER, ("A is",), True)),
        ('{"better": "C", "strength": "better", "reasons": []}', Advice(None, None, (), False)),
        ('{"better": 1, "strength": ["x"], "reasons": "no"}', Advice(None, None, (), False)),
        ("A is better.", Advice(None, None, (), False)),
        ("[1, 2]", Advice(None, None, (), False)),
        ("", Advice(None, None, (), False)),
    ],
)  # fmt: skip
def test_a_reply_reads_as_what_it_says(text: str, expected: Advice) -> None:
    assert parse_advice(text, AB) == expected


def test_the_experts_template_reads_back_and_the_schema_fixes_a_forced_side() -> None:
    text = advice_text("B", MUCH_BETTER, ("Answer A has a flaw: subtracts",))
    assert parse_advice(text, AB) == Advice(
        "B", MUCH_BETTER, ("Answer A has a flaw: subtracts",), True
    )
    assert advice_schema(AB)["properties"]["better"] == {"enum": ["A", "B", "same"]}
    assert advice_schema(AB, forced="A")["properties"]["better"] == {"const": "A"}


@given(st.text(max_size=200))
def test_any_text_is_an_advice(text: str) -> None:
    found = parse_advice(text, AB)
    assert found.better in (None, "A", "B")
    assert all(isinstance(r, str) and r for r in found.reasons)
