"""Rubric figures by hand: distributions per condition, MASI distance, alpha with a distance
(checked against the krippendorff package where both apply), alpha by question type."""

from __future__ import annotations

import pytest

from evalstudio.core.analysis.judgment_stats import alpha
from evalstudio.core.analysis.rubric_stats import (
    GivenAnswer,
    distance_alpha,
    masi_distance,
    question_report,
)
from evalstudio.core.rubric import parse_questions

QUESTIONS, _ = parse_questions(
    [
        {"key": "l", "type": "likert", "prompt": "L", "scale": 3},
        {"key": "c", "type": "choice", "prompt": "C", "options": ["x", "y"]},
        {"key": "m", "type": "multi", "prompt": "M", "options": ["a", "b", "c"]},
        {"key": "t", "type": "text", "prompt": "T"},
    ]
)
LIKERT, CHOICE, MULTI, TEXT = QUESTIONS


def test_masi_distance_by_hand() -> None:
    s = frozenset
    assert masi_distance(s("ab"), s("ab")) == 0
    assert masi_distance(s(), s()) == 0
    assert masi_distance(s("a"), s("ab")) == pytest.approx(1 - 1 / 2 * 2 / 3)  # subset
    assert masi_distance(s("ab"), s("bc")) == pytest.approx(1 - 1 / 3 * 1 / 3)  # overlap
    assert masi_distance(s("a"), s("b")) == 1  # disjoint
    assert masi_distance(s(), s("a")) == 1


def test_masi_alpha_by_hand() -> None:
    """Item 1: {a} and {a,b} (δ = 2/3); item 2: {b} and {b} (δ = 0). n = 4.
    D_o = (2·2/3 + 0) / 4 = 1/3. Pairs over all four values: {a}-{a,b} 2/3, {a}-{b} 1 twice,
    {a,b}-{b} 2/3 twice, {b}-{b} 0: sum 4, ordered 8; D_e = 8 / (4·3) = 2/3. alpha = 1 − 1/2."""
    s = frozenset
    values = [("e1", "i1", s("a")), ("e2", "i1", s("ab")), ("e1", "i2", s("b"))]
    values += [("e2", "i2", s("b")), ("e1", "i3", s("c"))]  # i3: one rater, left out
    assert distance_alpha(values, masi_distance) == pytest.approx(0.5)
    assert distance_alpha(values[:1], masi_distance) is None  # no shared item
    same = [("e1", "i1", s("a")), ("e2", "i1", s("a"))]
    assert distance_alpha(same, masi_distance) is None  # nothing to expect: undefined


def test_distance_alpha_agrees_with_the_package_on_nominal_data() -> None:
    values = [
        ("e1", "i1", 0.0), ("e2", "i1", 0.0), ("e3", "i1", 1.0),
        ("e1", "i2", 1.0), ("e2", "i2", 1.0),
        ("e1", "i3", 2.0), ("e2", "i3", 0.0), ("e3", "i3", 2.0),
    ]  # fmt: skip
    ours = distance_alpha(values, lambda a, b: float(a != b))
    assert ours == pytest.approx(alpha(values, "nominal"))


def test_distribution_per_condition_and_alpha_per_type() -> None:
    def given(q: str, rows: list[tuple[str, str, str, object]]) -> list[GivenAnswer]:
        return [GivenAnswer(e, i, c, v) for e, i, c, v in rows]  # type: ignore[arg-type]

    likert = question_report(
        LIKERT,
        given(
            "l",
            [
                ("e1", "i1", "assisted", 3),
                ("e2", "i1", "unassisted", 3),
                ("e1", "i2", "unassisted", 1),
                ("e2", "i2", "assisted", 2),
            ],
        ),
    )
    assert likert.answered == {"all": 4, "assisted": 2, "unassisted": 2}
    assert likert.distribution == {
        "all": {"1": 1, "2": 1, "3": 2},
        "assisted": {"1": 0, "2": 1, "3": 1},
        "unassisted": {"1": 1, "2": 0, "3": 1},
    }
    # Ordinal alpha by hand: values 3,3 | 1,2. Ordinal metric from the pooled frequencies
    # n1=1, n2=1, n3=2 (n=4): δ(1,2) = (1/2 + 1/2)² = 1, δ(1,3) = (1/2+1+2/2)² = 6.25,
    # δ(2,3) = (1/2 + 1)² = 2.25. D_o = 2·1/4 = 0.5; D_e = 2·(1 + 2·6.25 + 2·2.25)/(4·3) = 3.
    assert likert.alpha == pytest.approx(1 - 0.5 / 3) and likert.alpha_level == "ordinal"

    choice = question_report(
        CHOICE,
        given("c", [("e1", "i1", "assisted", "x"), ("e2", "i1", "assisted", "y")]),
    )
    assert choice.distribution["all"] == {"x": 1, "y": 1}
    assert choice.alpha_level == "nominal"
    # One item, x vs y: D_o = 1, D_e = 2·1/(2·1) = 1: alpha = 0.
    assert choice.alpha == pytest.approx(0.0)

    multi = question_report(
        MULTI,
        given(
            "m",
            [
                ("e1", "i1", "assisted", ("a",)),
                ("e2", "i1", "assisted", ("a", "b")),
                ("e1", "i2", "assisted", ("b",)),
                ("e2", "i2", "assisted", ("b",)),
                ("e1", "i3", "assisted", ()),
            ],
        ),
    )
    assert multi.distribution["all"] == {"a": 2, "b": 3, "c": 0, "none": 1}
    assert multi.alpha == pytest.approx(0.5) and multi.alpha_level == "masi"

    text = question_report(TEXT, given("t", [("e1", "i1", "assisted", "fine")]))
    assert text.distribution == {} and text.alpha is None and text.alpha_level is None
    assert text.answered == {"all": 1, "assisted": 1}
