"""Items that show several answers to one task at once, and the evaluator's order of them.

A `compare` item shows two candidates side by side (which is better, and by how much); a `rank`
item shows three to nine, to put in order. A record with `candidates: [...]` makes one (two
candidates: compare; three or more: rank), and a study with `pairs_as = "compare"` shows each
perturbation pair as a compare item (correct twin vs flawed twin), which has a known answer.

Each item keeps its candidates in *slots* (0, 1, … in the order imported; for a pair, slot 0 is
the correct twin). What an evaluator sees is an order of the slots, drawn per evaluator (the
plan counterbalances a pair's sides), labelled A, B, C… on screen. What is stored is an
`Ordering` of candidate ids, so no analysis depends on where a candidate was shown.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalstudio.core.model import ItemView

MIN_SIDES = 2
MAX_SIDES = 9  # each side gets a digit key
SIDE_LETTERS = "ABCDEFGHI"


class Layout(StrEnum):
    """How an item is shown and judged."""

    SINGLE = "single"  # one candidate: flawed or acceptable (the built-in form)
    COMPARE = "compare"  # two candidates: which is better
    RANK = "rank"  # three to nine candidates: their order

    @classmethod
    def for_sides(cls, n: int) -> Layout:
        return cls.SINGLE if n == 1 else cls.COMPARE if n == 2 else cls.RANK


# How much better the preferred side of a comparison is.
BETTER, MUCH_BETTER = 1, 2


@dataclass(frozen=True)
class Side:
    """One candidate of a compare or rank item as the evaluator sees it (its place on screen
    is its place in `ItemView.sides`: A first). `candidate_id` is opaque (derived under the
    study's secret), so it says nothing of a twin."""

    candidate_id: str
    text: str


@dataclass(frozen=True)
class ScalePoint:
    """One answer of a comparison's scale: key 1…N, its words, the winning side on screen
    (0 = A, 1 = B; None: about the same) and the strength."""

    key: int
    label: str
    winner: int | None
    strength: int | None


@dataclass(frozen=True)
class CompareScale:
    """The study's comparison scale: with `strength` a side is "better" or "much better"; with
    `ties` the evaluator may say the two are about the same."""

    strength: bool = True
    ties: bool = True

    def points(self) -> tuple[ScalePoint, ...]:
        a_side: list[tuple[str, int | None]] = (
            [("A much better", MUCH_BETTER), ("A better", BETTER)]
            if self.strength
            else [("A better", None)]
        )
        b_side: list[tuple[str, int | None]] = (
            [("B better", BETTER), ("B much better", MUCH_BETTER)]
            if self.strength
            else [("B better", None)]
        )
        rows: list[tuple[str, int | None, int | None]] = [(w, 0, s) for w, s in a_side]
        if self.ties:
            rows.append(("About the same", None, None))
        rows += [(w, 1, s) for w, s in b_side]
        return tuple(ScalePoint(k, w, side, s) for k, (w, side, s) in enumerate(rows, start=1))

    def ordering(self, point: ScalePoint, shown: tuple[Side, Side]) -> Ordering:
        """The ordering a scale point means for the two sides as shown."""
        a, b = shown[0].candidate_id, shown[1].candidate_id
        if point.winner is None:
            return Ordering(((a, b),))
        winner, loser = (a, b) if point.winner == 0 else (b, a)
        return Ordering(((winner,), (loser,)), point.strength)

    def point_of(self, ordering: Ordering, shown: tuple[Side, Side]) -> ScalePoint | None:
        """The scale point an ordering of these two sides is (None: not one of this scale's)."""
        return next((p for p in self.points() if self.ordering(p, shown) == ordering), None)


DEFAULT_SCALE = CompareScale()


@dataclass(frozen=True)
class Advice:
    """The assistant's answer to "which is better, and why" on a compare item: the label of
    the better side as the evaluator sees it ("A", "B"; None: about the same), BETTER or
    MUCH_BETTER (None with a tie), and its reasons. `structured` is False when it came from a
    reply that is not the asked-for JSON (then only what could be read)."""

    better: str | None
    strength: int | None
    reasons: tuple[str, ...]
    structured: bool


@dataclass(frozen=True)
class Ordering:
    """An evaluator's order of an item's candidates: tiers of candidate ids, best first; a tie
    shares a tier (only a comparison's "about the same" does). `strength` (compare only):
    BETTER or MUCH_BETTER, None for a tie or a scale without strength."""

    tiers: tuple[tuple[str, ...], ...]
    strength: int | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(c for tier in self.tiers for c in tier)

    @property
    def tied(self) -> bool:
        return len(self.tiers) == 1

    def rank_of(self, candidate_id: str) -> int:
        """1 for the best tier, 2 for the next…"""
        return next(r for r, tier in enumerate(self.tiers, start=1) if candidate_id in tier)

    def implied_pairs(self) -> list[tuple[str, str]]:
        """Every (better, worse) pair the order states: K·(K−1)/2 for a strict order of K."""
        return [
            (better, worse)
            for i, upper in enumerate(self.tiers)
            for lower in self.tiers[i + 1 :]
            for better in upper
            for worse in lower
        ]

    def to_json(self) -> dict[str, Any]:
        return {"tiers": [list(t) for t in self.tiers], "strength": self.strength}

    @classmethod
    def from_json(cls, data: Any) -> Ordering:
        """Read a stored or drafted ordering; ValueError when it is not one (any shape)."""
        if not isinstance(data, dict) or set(data) - {"tiers", "strength"}:
            raise ValueError("an ordering is {tiers, strength}")
        tiers, strength = data.get("tiers"), data.get("strength")
        if (
            not isinstance(tiers, list)
            or not 1 <= len(tiers) <= MAX_SIDES
            or not all(
                isinstance(t, list) and t and all(isinstance(c, str) for c in t) for t in tiers
            )
        ):
            raise ValueError("tiers must be 1-9 lists of candidate ids")
        if strength is not None and (
            isinstance(strength, bool) or strength not in (BETTER, MUCH_BETTER)
        ):
            raise ValueError("strength must be 1, 2 or null")
        return cls(tuple(tuple(t) for t in tiers), strength)


def ordering_problems(
    ordering: Ordering | None, candidate_ids: tuple[str, ...], layout: Layout, scale: CompareScale
) -> list[str]:
    """What is wrong with `ordering` as the judgment of an item of `layout` whose candidates
    are `candidate_ids` (empty: nothing)."""
    if ordering is None:
        return ["say which answer is better" if layout is Layout.COMPARE else "rank the answers"]
    given = ordering.candidates
    if sorted(given) != sorted(candidate_ids) or len(set(given)) != len(given):
        return ["the order must name each of the item's answers once"]
    problems = []
    if layout is Layout.COMPARE:
        if ordering.tied and not scale.ties:
            problems.append("this study does not allow a tie")
        if ordering.tied and ordering.strength is not None:
            problems.append("a tie has no strength")
        if not ordering.tied and (ordering.strength is None) == scale.strength:
            problems.append(
                "say how much better (better or much better)"
                if scale.strength
                else "this study's comparisons have no strength"
            )
    elif layout is Layout.RANK:
        if len(ordering.tiers) != len(candidate_ids):
            problems.append(f"put all {len(candidate_ids)} answers in order (no ties in a ranking)")
        if ordering.strength is not None:
            problems.append("a ranking has no strength")
    return problems


def shown_order(seed: str, evaluator_id: str, item_id: str, n: int) -> tuple[int, ...]:
    """The slots of an item with `n` candidates in the order one evaluator sees them: a shuffle
    drawn from the study's seed, the evaluator and the item (the same every time it opens)."""
    digest = hashlib.sha256(f"{seed}\x00{evaluator_id}\x00{item_id}".encode()).digest()
    order = list(range(n))
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return tuple(order)


def sides_order(
    stored: object, n: int, seed: str, evaluator_id: str, item_id: str
) -> tuple[int, ...]:
    """The slots of an item with `n` candidates in the order one evaluator sees them: as their
    assignment stored it, or — none stored (a study without a plan), or one that is not an
    order of the slots (a package edited by hand) — drawn by `shown_order`."""
    if (
        isinstance(stored, list | tuple)
        and all(type(slot) is int for slot in stored)
        and sorted(stored) == list(range(n))
    ):
        return tuple(stored)
    return shown_order(seed, evaluator_id, item_id, n)


def shown_as(
    item: ItemView, stored: tuple[int, ...] | None, seed: str, evaluator_id: str
) -> ItemView:
    """A compare or rank item (sides in slot order) as one evaluator sees it."""
    order = sides_order(stored, len(item.sides), seed, evaluator_id, item.item_id)
    sides = tuple(item.sides[slot] for slot in order)
    return replace(item, sides=sides, candidate=sides[0].text)


def pair_sides(flawed_first: bool) -> tuple[int, ...]:
    """A pair's compare item as shown: slot 0 holds the correct twin, slot 1 the flawed one;
    the plan says which goes on the left (A)."""
    return (1, 0) if flawed_first else (0, 1)
