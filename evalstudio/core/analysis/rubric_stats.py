"""The report's figures for rubric questions: how the answers are distributed (per condition)
and how far evaluators agree on the items they share (Krippendorff's alpha).

Alpha by type: ordinal for `likert` and nominal for `choice` (the `krippendorff` package, as
the verdicts' and ratings' alpha); for `multi`, alpha with the MASI distance between the sets
of options chosen (Passonneau 2006), computed here because the package takes numbers only;
none for `text`. docs/report.md says what each number counts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TypeVar

from evalstudio.core.analysis.judgment_stats import alpha
from evalstudio.core.rubric import Answer, Question, QuestionType

T = TypeVar("T", bound=Hashable)

ALL = "all"  # the distribution over every condition


@dataclass(frozen=True)
class GivenAnswer:
    """One evaluator's answer to a question on an item, under the item's condition."""

    evaluator_id: str
    item_id: str
    condition: str
    value: Answer


@dataclass(frozen=True)
class QuestionReport:
    key: str
    type: str
    prompt: str
    answered: dict[str, int]  # judgments with an answer, per condition and ALL
    # Per condition and ALL: likert point / choice option / multi option → judgments giving it
    # (a multi's judgment counts once for each option it chose; `none` counts those choosing
    # none). Empty for text.
    distribution: dict[str, dict[str, int]] = field(default_factory=dict)
    alpha: float | None = None
    alpha_level: str | None = None  # ordinal, nominal, masi; None for text


def question_report(question: Question, given: Sequence[GivenAnswer]) -> QuestionReport:
    answered: dict[str, int] = {ALL: len(given)}
    for g in given:
        answered[g.condition] = answered.get(g.condition, 0) + 1
    kind = question.type
    if kind is QuestionType.TEXT:
        return QuestionReport(question.key, kind.value, question.prompt, answered)
    labels = (
        [str(p) for p in range(1, question.scale + 1)]
        if kind is QuestionType.LIKERT
        else [*question.options, "none"]
        if kind is QuestionType.MULTI
        else list(question.options)
    )
    distribution = {c: dict.fromkeys(labels, 0) for c in answered}
    for g in given:
        for label in _labels(g.value):
            for c in (ALL, g.condition):
                distribution[c][label] += 1
    triples = [(g.evaluator_id, g.item_id, g.value) for g in given]
    found: float | None
    if kind is QuestionType.LIKERT:
        points = [(e, i, float(v)) for e, i, v in triples if isinstance(v, int)]
        found, level = alpha(points, "ordinal"), "ordinal"
    elif kind is QuestionType.CHOICE:
        index = {o: n for n, o in enumerate(question.options)}
        chosen = [(e, i, float(index[v])) for e, i, v in triples if isinstance(v, str)]
        found, level = alpha(chosen, "nominal"), "nominal"
    else:
        sets = [(e, i, frozenset(v)) for e, i, v in triples if isinstance(v, tuple)]
        found, level = distance_alpha(sets, masi_distance), "masi"
    return QuestionReport(
        question.key, kind.value, question.prompt, answered, distribution, found, level
    )


def _labels(value: Answer) -> list[str]:
    if isinstance(value, tuple):
        return list(value) or ["none"]
    return [str(value)]


def masi_distance(a: frozenset[str], b: frozenset[str]) -> float:
    """MASI distance (Passonneau 2006): 1 − J·M, J the Jaccard index, M 1 for equal sets, 2/3
    when one holds the other, 1/3 when they overlap otherwise, 0 when disjoint. Two empty sets
    (nothing applies, twice) are equal: distance 0."""
    if a == b:
        return 0.0
    union = a | b
    jaccard = len(a & b) / len(union)
    monotonicity = 2 / 3 if a <= b or b <= a else 1 / 3 if a & b else 0.0
    return 1 - jaccard * monotonicity


def distance_alpha(
    values: Sequence[tuple[str, str, T]], distance: Callable[[T, T], float]
) -> float | None:
    """Krippendorff's alpha = 1 − D_o / D_e for any distance, on the items two or more
    evaluators rated (Krippendorff 2011, "Computing Krippendorff's alpha-reliability", the
    general form): D_o = Σ_u Σ_{i≠j in u} δ / (m_u − 1) / n over items u with m_u ≥ 2 values;
    D_e = Σ_{i≠j} δ / (n(n − 1)) over every pair of those n values. None without a shared
    item or without any disagreement to expect (D_e = 0)."""
    by_item: dict[str, list[T]] = {}
    for _, item, value in values:
        by_item.setdefault(item, []).append(value)
    units = [v for v in by_item.values() if len(v) >= 2]
    pooled = [v for unit in units for v in unit]
    n = len(pooled)
    if n < 2:
        return None
    # Each unordered pair once, doubled: the formula's sums are over ordered pairs.
    observed = sum(
        2 * sum(distance(a, b) for a, b in combinations(unit, 2)) / (len(unit) - 1)
        for unit in units
    )
    expected = 2 * sum(distance(a, b) for a, b in combinations(pooled, 2))
    if expected == 0:
        return None
    return 1 - (observed / n) / (expected / (n * (n - 1)))
