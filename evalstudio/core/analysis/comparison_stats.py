"""The report's figures for compare and rank items: how often a comparison of a perturbation
pair picks the correct twin (per condition, and the effect of assistance on it), how often the
side shown first wins, and how far evaluators agree on the items they share.

Everything here reads an ordering in the item's canonical slot order (slot 0 first), never in
the order one evaluator saw it: where a candidate was shown matters only to position bias.
docs/report.md says what each number counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from evalstudio.core.analysis.effect import Interval, Outcomes
from evalstudio.core.analysis.intervals import share
from evalstudio.core.analysis.judgment_stats import alpha
from evalstudio.core.comparison import BETTER, Layout, Ordering
from evalstudio.core.review import Condition, OrderJudgment

ALL = "all"  # over every condition
NO_CONDITION = "none"  # judgments made without a recorded condition


@dataclass(frozen=True)
class Share:
    """`count` of `of`, its value (None when nothing was counted) and 95% Wilson interval."""

    count: int
    of: int
    value: float | None
    interval: Interval | None

    @classmethod
    def of_counts(cls, count: int, of: int) -> Share:
        return cls(count, of, count / of if of else None, share(count, of))


@dataclass(frozen=True)
class PairPicks:
    """Comparisons of perturbation pairs in one condition: the correct twin picked, the flawed
    one picked, or a tie (about the same: not a pick, so not right either)."""

    judged: int
    correct: Share  # picked the correct twin, of every comparison
    ties: Share  # said about the same, of every comparison
    flawed: int  # picked the flawed twin


@dataclass(frozen=True)
class PickChanges:
    """Comparisons with a first pick (committed before the assistance opened) in one
    condition: how many changed their pick after the assistance, and where the changed
    comparisons of perturbation pairs went. A tie is no pick: from or to one is a change."""

    judged: int  # comparisons with a first pick
    changed: Share  # the final winner is not the first's, of those
    to_correct: int  # changed comparisons of a pair that now pick the correct twin
    to_flawed: int  # ... that now pick the flawed twin (the rest of a pair's: now a tie)


@dataclass(frozen=True)
class CompareAgreement:
    judgments: int
    shared_items: int  # items two or more evaluators compared
    # Krippendorff's alpha on the signed preference (ordinal) and on the winner (nominal:
    # slot 0, slot 1 or a tie); None without a shared item or any disagreement to expect.
    preference_alpha: float | None
    winner_alpha: float | None


@dataclass(frozen=True)
class RankAgreement:
    judgments: int
    kendall_w: dict[str, float]  # item → Kendall's W, items two or more evaluators ranked
    mean_w: float | None
    pairwise: Share  # candidate pairs two rankers of an item ordered alike, of those compared
    rank_alpha: float | None  # ordinal, on each (item, candidate)'s ranks


def condition_key(record: OrderJudgment) -> str:
    return record.condition.value if record.condition is not None else NO_CONDITION


def signed_preference(ordering: Ordering, slots: tuple[str, ...]) -> int:
    """A comparison on one scale for everyone, whatever side they saw first: +strength when
    slot 0 wins, −strength when slot 1 does, 0 for a tie (−2…+2; −1…+1 without strength)."""
    if ordering.tied:
        return 0
    strength = ordering.strength or BETTER
    return strength if ordering.tiers[0][0] == slots[0] else -strength


def winner(ordering: Ordering) -> str | None:
    """The preferred candidate of a comparison; None for a tie."""
    return None if ordering.tied else ordering.tiers[0][0]


def by_condition(records: Sequence[OrderJudgment]) -> dict[str, list[OrderJudgment]]:
    """The records per condition, in a fixed order, plus ALL when there are two or more."""
    groups: dict[str, list[OrderJudgment]] = {}
    for r in records:
        groups.setdefault(condition_key(r), []).append(r)
    ordered = dict(sorted(groups.items()))
    return {**ordered, ALL: list(records)} if len(ordered) > 1 else ordered


def pair_picks(records: Sequence[OrderJudgment]) -> PairPicks:
    """Of comparisons of pairs (records with `correct_id`), how many picked each twin or tied."""
    pairs = [r for r in records if r.correct_id is not None]
    correct = sum(1 for r in pairs if winner(r.ordering) == r.correct_id)
    ties = sum(1 for r in pairs if r.ordering.tied)
    n = len(pairs)
    return PairPicks(n, Share.of_counts(correct, n), Share.of_counts(ties, n), n - correct - ties)


def pick_changes(records: Sequence[OrderJudgment]) -> PickChanges:
    """Of the comparisons with a first pick, how many the assistance changed, and to what."""
    firsts = [r for r in records if r.first is not None]
    changed = [r for r in firsts if r.first is not None and winner(r.first) != winner(r.ordering)]
    pairs = [r for r in changed if r.correct_id is not None and not r.ordering.tied]
    to_correct = sum(1 for r in pairs if winner(r.ordering) == r.correct_id)
    return PickChanges(
        len(firsts), Share.of_counts(len(changed), len(firsts)), to_correct, len(pairs) - to_correct
    )


def order_changes(records: Sequence[OrderJudgment]) -> Share:
    """Of the rankings with a first order, the share whose final order differs from it."""
    firsts = [r for r in records if r.first is not None]
    changed = sum(1 for r in firsts if r.first is not None and r.first.tiers != r.ordering.tiers)
    return Share.of_counts(changed, len(firsts))


def left_picks(records: Sequence[OrderJudgment]) -> Share:
    """Position bias: of the comparisons that picked a side, the share that picked the side
    shown first (A). Sides are counterbalanced, so an unbiased evaluator is near 50%."""
    picks = [r for r in records if not r.ordering.tied]
    return Share.of_counts(sum(1 for r in picks if winner(r.ordering) == r.shown[0]), len(picks))


def pick_outcomes(
    records: Sequence[OrderJudgment],
    treated: Condition,
    control: Condition = Condition.UNASSISTED,
) -> Outcomes | None:
    """Comparisons of pairs in the two conditions as the detection effect's rows (caught =
    picked the correct twin; a tie is not), or None unless both conditions have some."""
    rows = [
        (r.evaluator_id, r.item_id, r.condition is treated, winner(r.ordering) == r.correct_id)
        for r in records
        if r.correct_id is not None and r.condition in (treated, control)
    ]
    if all(row[2] for row in rows) or not any(row[2] for row in rows):
        return None
    return Outcomes.of(
        [row[0] for row in rows],
        [row[1] for row in rows],
        [row[2] for row in rows],
        [row[3] for row in rows],
    )


def compare_agreement(records: Sequence[OrderJudgment]) -> CompareAgreement:
    counts: dict[str, int] = {}
    for r in records:
        counts[r.item_id] = counts.get(r.item_id, 0) + 1
    preferences = [
        (r.evaluator_id, r.item_id, float(signed_preference(r.ordering, r.slots))) for r in records
    ]
    # The winner as a category: its slot (0 or 1), or 2 for a tie.
    winners = [(r.evaluator_id, r.item_id, float(_slot_of_winner(r))) for r in records]
    return CompareAgreement(
        len(records),
        sum(1 for c in counts.values() if c >= 2),
        alpha(preferences, "ordinal"),
        alpha(winners, "nominal"),
    )


def _slot_of_winner(record: OrderJudgment) -> int:
    found = winner(record.ordering)
    return len(record.slots) if found is None else record.slots.index(found)


def kendall_w(rankings: Sequence[Ordering]) -> float:
    """Kendall's W of m strict rankings of the same n candidates (the formula without ties;
    a ranking has none): 12·S / (m²·(n³ − n)), S the sum of squared deviations of each
    candidate's rank sum from their mean m·(n + 1)/2. 1: all alike; 0: no common order."""
    m = len(rankings)
    candidates = rankings[0].candidates
    n = len(candidates)
    sums = [sum(r.rank_of(c) for r in rankings) for c in candidates]
    mean = m * (n + 1) / 2
    s = sum((total - mean) ** 2 for total in sums)
    return 12 * s / (m**2 * (n**3 - n))


def rank_agreement(records: Sequence[OrderJudgment]) -> RankAgreement:
    per_item: dict[str, list[Ordering]] = {}
    for r in records:
        per_item.setdefault(r.item_id, []).append(r.ordering)
    shared = {item: found for item, found in sorted(per_item.items()) if len(found) >= 2}
    w = {item: kendall_w(found) for item, found in shared.items()}
    agreeing = compared = 0
    for found in shared.values():
        for first, second in combinations(found, 2):
            together = set(second.implied_pairs())
            stated = first.implied_pairs()
            agreeing += sum(1 for pair in stated if pair in together)
            compared += len(stated)
    # Each (item, candidate) is a unit whose values are the ranks it was given.
    ranks = [
        (r.evaluator_id, f"{r.item_id}\x00{c}", float(r.ordering.rank_of(c)))
        for r in records
        for c in r.ordering.candidates
    ]
    return RankAgreement(
        len(records),
        w,
        sum(w.values()) / len(w) if w else None,
        Share.of_counts(agreeing, compared),
        alpha(ranks, "ordinal"),
    )


@dataclass(frozen=True)
class ComparisonFigures:
    """Compare items' figures per condition (and ALL with two or more conditions)."""

    judgments: int
    picks: dict[str, PairPicks]  # comparisons of pairs; empty when no item is a pair
    left: dict[str, Share]  # picks of the side shown first
    agreement: dict[str, CompareAgreement]
    # per condition of the comparisons with a first pick; empty when none has one
    changes: dict[str, PickChanges]


@dataclass(frozen=True)
class RankingFigures:
    judgments: int
    agreement: dict[str, RankAgreement]  # per condition (and ALL with two or more)
    # rankings changed from their first order, per condition of those with one; empty if none
    changes: dict[str, Share]


def comparison_figures(records: Sequence[OrderJudgment]) -> ComparisonFigures | None:
    """None when no compare item was judged."""
    compares = [r for r in records if r.layout is Layout.COMPARE]
    if not compares:
        return None
    groups = by_condition(compares)
    pairs = any(r.correct_id is not None for r in compares)
    return ComparisonFigures(
        len(compares),
        {c: pair_picks(found) for c, found in groups.items()} if pairs else {},
        {c: left_picks(found) for c, found in groups.items()},
        {c: compare_agreement(found) for c, found in groups.items()},
        {c: pick_changes(found) for c, found in by_condition(_with_first(compares)).items()},
    )


def ranking_figures(records: Sequence[OrderJudgment]) -> RankingFigures | None:
    """None when no rank item was judged."""
    ranks = [r for r in records if r.layout is Layout.RANK]
    if not ranks:
        return None
    return RankingFigures(
        len(ranks),
        {c: rank_agreement(found) for c, found in by_condition(ranks).items()},
        {c: order_changes(found) for c, found in by_condition(_with_first(ranks)).items()},
    )


def _with_first(records: Sequence[OrderJudgment]) -> list[OrderJudgment]:
    return [r for r in records if r.first is not None]
