"""Comparison and ranking figures by hand: signed preferences, picks of the correct twin, ties,
the side shown first, the effect's rows, Kendall's W, pairwise agreement and alpha (the
package's against Krippendorff's general formula with the ordinal metric written out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from evalstudio.core.analysis.comparison_stats import (
    ALL,
    by_condition,
    compare_agreement,
    comparison_figures,
    kendall_w,
    left_picks,
    pair_picks,
    pick_outcomes,
    rank_agreement,
    ranking_figures,
    signed_preference,
)
from evalstudio.core.analysis.effect import cluster_robust
from evalstudio.core.analysis.rubric_stats import distance_alpha
from evalstudio.core.comparison import Layout, Ordering
from evalstudio.core.review import Condition, OrderJudgment

A, U, M = Condition.ASSISTED, Condition.UNASSISTED, Condition.MISLEADING
SLOTS = ("good", "bad")  # a pair's compare item: slot 0 is the correct twin


def record(
    evaluator: str,
    item: str,
    layout: Layout,
    condition: Condition | None,
    ordering: Ordering,
    slots: tuple[str, ...],
    correct_id: str | None,
    shown: tuple[str, ...],
) -> OrderJudgment:
    """A judgment as the store reads it, with what these figures do not read left plain."""
    return OrderJudgment(
        f"{evaluator}/{item}", evaluator, item, item, layout, condition, ordering, slots,
        shown, correct_id, confidence=None, by_model=False,
    )  # fmt: skip


def compared(
    evaluator: str,
    item: str,
    best: str | None,
    strength: int | None = 1,
    condition: Condition | None = U,
    left: str = "good",
    pair: bool = True,
) -> OrderJudgment:
    """A comparison of SLOTS: `best` won (None: a tie), `left` was shown first."""
    if best is None:
        ordering = Ordering((SLOTS,))
    else:
        ordering = Ordering(((best,), (SLOTS[1] if best == SLOTS[0] else SLOTS[0],)), strength)
    shown = (left, SLOTS[1] if left == SLOTS[0] else SLOTS[0])
    return record(
        evaluator, item, Layout.COMPARE, condition, ordering, SLOTS,
        "good" if pair else None, shown,
    )  # fmt: skip


def ranked(evaluator: str, item: str, order: str, condition: Condition | None = U) -> OrderJudgment:
    """A ranking of one-letter candidates, best first: "abcd"."""
    return record(
        evaluator, item, Layout.RANK, condition, Ordering(tuple((c,) for c in order)),
        tuple(sorted(order)), None, tuple(sorted(order)),
    )  # fmt: skip


def test_signed_preference_is_read_in_slot_order() -> None:
    good_much = Ordering((("good",), ("bad",)), 2)
    assert signed_preference(good_much, SLOTS) == 2
    assert signed_preference(Ordering((("bad",), ("good",)), 1), SLOTS) == -1
    assert signed_preference(Ordering((SLOTS,)), SLOTS) == 0
    # A scale without strength: every pick is one step.
    assert signed_preference(Ordering((("bad",), ("good",))), SLOTS) == -1


def test_pair_picks_count_a_tie_as_no_pick() -> None:
    """Six comparisons of pairs: 3 picked the correct twin, 2 the flawed, 1 tied; one of a
    non-pair item does not count. Wilson 95% for 3 of 6, z² = 3.8415: centre
    (0.5 + 3.8415/12) / (1 + 3.8415/6) = 0.5; half width 1.96·√(0.25/6 + 3.8415/144) / 1.6402
    = 1.96 · 0.26143 / 1.6402 = 0.3124: 0.188–0.812."""
    records = [
        compared("e1", "p1", "good"), compared("e2", "p1", "good"), compared("e3", "p2", "good"),
        compared("e1", "p2", "bad"), compared("e2", "p3", "bad"), compared("e3", "p3", None),
        compared("e1", "x", "good", pair=False),
    ]  # fmt: skip
    picks = pair_picks(records)
    assert (picks.judged, picks.correct.count, picks.ties.count, picks.flawed) == (6, 3, 1, 2)
    assert picks.correct.value == pytest.approx(0.5)
    assert picks.ties.value == pytest.approx(1 / 6)
    assert picks.correct.interval is not None
    assert picks.correct.interval.low == pytest.approx(0.1876, abs=5e-4)
    assert picks.correct.interval.high == pytest.approx(0.8124, abs=5e-4)
    empty = pair_picks([])
    assert (empty.judged, empty.correct.value, empty.correct.interval) == (0, None, None)


def test_left_picks_count_the_side_shown_first_among_picks() -> None:
    """Four picks, three of them of the side shown first (A); a tie is not a pick: 3 of 4."""
    records = [
        compared("e1", "p1", "good", left="good"),  # A
        compared("e2", "p1", "bad", left="bad"),  # A
        compared("e3", "p2", "good", left="bad"),  # B
        compared("e4", "x", "bad", left="bad", pair=False),  # A: any comparison counts
        compared("e1", "p2", None, left="good"),  # a tie
    ]
    left = left_picks(records)
    assert (left.count, left.of) == (3, 4)


def test_by_condition_adds_all_only_with_two_conditions() -> None:
    one = [compared("e1", "p1", "good", condition=A)]
    assert list(by_condition(one)) == ["assisted"]
    two = [*one, compared("e2", "p1", "bad", condition=None)]
    groups = by_condition(two)
    assert list(groups) == ["assisted", "none", ALL]
    assert len(groups[ALL]) == 2


def test_pick_outcomes_are_detections_rows() -> None:
    """Assisted: e1 picks right on p1, e2 ties on p2. Unassisted: e1 wrong on p2, e2 right on
    p1. Misleading rows, non-pair rows stay out. Rates 1/2 and 1/2, D = 0."""
    records = [
        compared("e1", "p1", "good", condition=A), compared("e2", "p2", None, condition=A),
        compared("e1", "p2", "bad", condition=U), compared("e2", "p1", "good", condition=U),
        compared("e3", "p1", "good", condition=M),
        compared("e3", "x", "good", condition=A, pair=False),
    ]  # fmt: skip
    rows = pick_outcomes(records, A)
    assert rows is not None
    assert rows.treated.tolist() == [True, True, False, False]
    assert rows.caught.tolist() == [True, False, False, True]
    assert rows.evaluator.tolist() == [0, 1, 0, 1]  # e3 is absent: not a cluster here
    effect = cluster_robust(rows)
    assert (effect.rate_treated, effect.rate_control, effect.difference) == (0.5, 0.5, 0.0)
    misleading = pick_outcomes(records, M)
    assert misleading is not None and misleading.treated.tolist() == [False, False, True]
    assert pick_outcomes([r for r in records if r.condition is A], A) is None  # no control


def _ordinal_distance(values: list[float]) -> Callable[[float, float], float]:
    """Krippendorff's ordinal metric from the pooled frequencies n_g of the pairable values:
    δ(c, k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²."""
    n = Counter(values)

    def delta(c: float, k: float) -> float:
        low, high = min(c, k), max(c, k)
        between = sum(count for g, count in n.items() if low <= g <= high)
        return float((between - (n[low] + n[high]) / 2) ** 2)

    return delta


def test_compare_agreement_by_hand() -> None:
    """p1: e1 +2, e2 +1 (both slot 0). p2: e1 −1 (slot 1), e2 tie. p3: e1 alone, left out.
    Winner, nominal, values {0, 0, 1, 2}: D_o = (0 + 2·1/1) / 4 = 1/2; disagreeing ordered
    pairs 2·(2 + 2 + 1) = 10 of 12, D_e = 10/12; alpha = 1 − 0.5 · 12/10 = 0.4.
    Preference, ordinal, values {2, 1, −1, 0}, one of each: δ is (distance)², adjacent 1, two
    apart 4, three apart 9. D_o = (2·1 + 2·1) / 4 = 1; D_e = 2·(3·1 + 2·4 + 9) / 12 = 10/3;
    alpha = 1 − 3/10 = 0.7."""
    records = [
        compared("e1", "p1", "good", 2), compared("e2", "p1", "good", 1),
        compared("e1", "p2", "bad", 1), compared("e2", "p2", None),
        compared("e1", "p3", "good", 1),
    ]  # fmt: skip
    found = compare_agreement(records)
    assert (found.judgments, found.shared_items) == (5, 2)
    assert found.winner_alpha == pytest.approx(0.4)
    assert found.preference_alpha == pytest.approx(0.7)
    values = [(r.evaluator_id, r.item_id, float(signed_preference(r.ordering, r.slots)))
              for r in records[:4]]  # fmt: skip
    independent = distance_alpha(values, _ordinal_distance([v for _, _, v in values]))
    assert found.preference_alpha == pytest.approx(independent)


THREE_RANKERS = [ranked("e1", "r1", "abcd"), ranked("e2", "r1", "acbd"), ranked("e3", "r1", "bacd")]


def test_kendall_w_by_hand() -> None:
    """Ranks a/b/c/d: e1 1 2 3 4, e2 1 3 2 4, e3 2 1 3 4. Rank sums 4, 6, 8, 12; their mean
    m(n+1)/2 = 7.5; S = 3.5² + 1.5² + 0.5² + 4.5² = 35; W = 12·35 / (9·(64 − 4)) = 7/9."""
    assert kendall_w([r.ordering for r in THREE_RANKERS]) == pytest.approx(7 / 9)
    same = Ordering((("a",), ("b",), ("c",)))
    assert kendall_w([same, same]) == pytest.approx(1.0)
    reversed_ = Ordering((("c",), ("b",), ("a",)))
    assert kendall_w([same, reversed_]) == pytest.approx(0.0)  # sums 4, 4, 4: S = 0


def test_rank_agreement_by_hand() -> None:
    """r1 as above; r2 ranked by e1 alone (no W, no shared unit).
    Pairwise: e1–e2 differ on b/c (5 of 6 alike), e1–e3 on a/b (5), e2–e3 on a/b and b/c (4):
    14 of 18. Alpha (ordinal) on units r1·a (1, 1, 2), r1·b (2, 3, 1), r1·c (3, 2, 3),
    r1·d (4, 4, 4): every rank 1-4 three times, so δ(c, k) = (3(k − c))² = 9(k − c)².
    D_o = (36/2 + 108/2 + 36/2 + 0) / 12 = 7.5; D_e = 2 · 9·9·(3·1 + 2·4 + 1·9) / 132
    = 3240/132; alpha = 1 − 7.5·132/3240 = 25/36."""
    found = rank_agreement([*THREE_RANKERS, ranked("e1", "r2", "cab")])
    assert found.judgments == 4
    assert found.kendall_w == {"r1": pytest.approx(7 / 9)}
    assert found.mean_w == pytest.approx(7 / 9)
    assert (found.pairwise.count, found.pairwise.of) == (14, 18)
    assert found.rank_alpha == pytest.approx(25 / 36)
    values = [
        (r.evaluator_id, f"{r.item_id}{c}", float(r.ordering.rank_of(c)))
        for r in THREE_RANKERS
        for c in r.ordering.candidates
    ]
    independent = distance_alpha(values, _ordinal_distance([v for _, _, v in values]))
    assert independent == pytest.approx(25 / 36)


def test_rank_agreement_without_shared_items() -> None:
    found = rank_agreement([ranked("e1", "r1", "abc"), ranked("e2", "r2", "abc")])
    assert (found.kendall_w, found.mean_w, found.rank_alpha) == ({}, None, None)
    assert (found.pairwise.of, found.pairwise.value) == (0, None)


def test_figures_split_by_condition_and_layout() -> None:
    """Two compare judgments under assisted (one right), one unassisted (a tie), one ranking:
    per condition and all; the ranking goes to the rankings only."""
    records = [
        compared("e1", "p1", "good", condition=A),
        compared("e2", "p1", "bad", condition=A, left="bad"),
        compared("e3", "p2", None, condition=U),
        ranked("e1", "r1", "abc", condition=A),
    ]
    found = comparison_figures(records)
    assert found is not None and found.judgments == 3
    assert list(found.picks) == ["assisted", "unassisted", ALL]
    assert (found.picks["assisted"].correct.count, found.picks["assisted"].judged) == (1, 2)
    assert (found.picks["unassisted"].ties.count, found.picks[ALL].correct.count) == (1, 1)
    assert (found.left[ALL].count, found.left[ALL].of) == (2, 2)  # both picks were of A
    assert found.agreement[ALL].shared_items == 1
    rankings = ranking_figures(records)
    assert rankings is not None and rankings.judgments == 1
    assert list(rankings.agreement) == ["assisted"]
    assert comparison_figures(records[3:]) is None and ranking_figures(records[:3]) is None
    without_pairs = comparison_figures([compared("e1", "x", "good", pair=False)])
    assert without_pairs is not None and without_pairs.picks == {}
