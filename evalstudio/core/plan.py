"""The assignment plan: which twin of each pair, under which condition, in which order, each
evaluator sees — a pure function of the study's design and its seed.

Construction (docs/study-design.md): the 2·C cells twin × condition are put in a *round*, an
order in which every prefix is balanced within one in twins, in conditions and in cells
(twins alternate; each step takes a least-used condition not yet paired with that twin in the
round). Each evaluator walks the rounds over their pairs, relabelled: evaluator e flips the
twins when e is odd and shifts the conditions by e // 2. So every evaluator's queue is balanced
within one, and when every evaluator sees every pair, the 2C evaluators e = 0 … 2C−1 put each
twin of each pair under each condition exactly once. Pairs, evaluators and conditions are
shuffled, and each queue is shuffled, from the seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from evalstudio.core.review import Condition


@dataclass(frozen=True)
class PairUnit:
    """A perturbation pair as the plan sees it: its id and the study items of its twins."""

    pair_id: str
    correct_item: str
    flawed_item: str


@dataclass(frozen=True)
class Design:
    """What the plan is made from. `judgments_per_pair` None: every evaluator sees every pair.
    `gold_rate`: the share of each queue made of gold items (as far as there are gold items).
    """

    evaluators: tuple[str, ...]
    pairs: tuple[PairUnit, ...]
    conditions: tuple[Condition, ...]
    seed: str
    singles: tuple[str, ...] = ()  # items outside pairs, not gold: every evaluator, all
    gold: tuple[str, ...] = ()
    gold_rate: float = 0.0
    judgments_per_pair: int | None = None

    def __post_init__(self) -> None:
        if not self.evaluators:
            raise ValueError("a plan needs at least one evaluator")
        if len(set(self.evaluators)) != len(self.evaluators):
            raise ValueError("an evaluator is listed twice")
        if not self.conditions or len(set(self.conditions)) != len(self.conditions):
            raise ValueError("the conditions must be one or more, each once")
        if not 0 <= self.gold_rate < 1:
            raise ValueError(f"gold_rate {self.gold_rate} is not in [0, 1)")
        k = self.judgments_per_pair
        if k is not None and not 1 <= k <= len(self.evaluators):
            raise ValueError(
                f"judgments_per_pair {k} is not between 1 and the {len(self.evaluators)} evaluators"
            )


@dataclass(frozen=True)
class Assignment:
    evaluator: str
    position: int
    item: str
    condition: Condition
    pair_id: str | None  # the owner's view; never shown to the evaluator
    twin_flawed: bool | None
    gold: bool


def make_plan(design: Design) -> list[Assignment]:
    """Every evaluator's queue, in order. The same design and seed give the same plan."""
    rng = random.Random(_seed_int(design.seed))
    evaluators = list(design.evaluators)
    pairs = list(design.pairs)
    conditions = list(design.conditions)
    rng.shuffle(evaluators)  # who gets which offset in the grid
    rng.shuffle(pairs)
    rng.shuffle(conditions)
    order = _round(len(conditions))

    n = len(evaluators)
    k = design.judgments_per_pair or n
    raw: dict[str, list[tuple[str, Condition, str | None, bool | None, bool]]] = {
        e: [] for e in evaluators
    }
    seen: dict[str, int] = dict.fromkeys(evaluators, 0)
    for p, unit in enumerate(pairs):
        # A rotating window of k evaluators per pair keeps everyone's load within one.
        for j in range(k):
            e_index = (p * k + j) % n
            evaluator = evaluators[e_index]
            twin, c = order[seen[evaluator] % len(order)]
            seen[evaluator] += 1
            flawed = bool(twin ^ (e_index % 2))
            condition = conditions[(c + e_index // 2) % len(conditions)]
            item = unit.flawed_item if flawed else unit.correct_item
            raw[evaluator].append((item, condition, unit.pair_id, flawed, False))

    for e_index, evaluator in enumerate(evaluators):
        for s, item in enumerate(design.singles):
            raw[evaluator].append(
                (item, conditions[(s + e_index) % len(conditions)], None, None, False)
            )
        main = len(raw[evaluator])
        wanted = round(design.gold_rate * main / (1 - design.gold_rate)) if main else 0
        gold = list(design.gold)
        rng.shuffle(gold)
        for g, item in enumerate(gold[: min(wanted, len(gold))]):
            condition = conditions[(g + e_index) % len(conditions)]
            raw[evaluator].append((item, condition, None, None, True))

    plan: list[Assignment] = []
    for evaluator in design.evaluators:  # output in the design's order, queues shuffled
        queue = raw[evaluator]
        rng.shuffle(queue)
        plan.extend(
            Assignment(evaluator, position, item, condition, pair_id, flawed, gold)
            for position, (item, condition, pair_id, flawed, gold) in enumerate(queue)
        )
    return plan


def queues(plan: Sequence[Assignment]) -> dict[str, list[Assignment]]:
    """The plan grouped by evaluator, each in queue order."""
    grouped: dict[str, list[Assignment]] = {}
    for assignment in plan:
        grouped.setdefault(assignment.evaluator, []).append(assignment)
    for queue in grouped.values():
        queue.sort(key=lambda a: a.position)
    return grouped


def _round(n_conditions: int) -> list[tuple[int, int]]:
    """The 2·C cells (twin, condition) in an order whose every prefix is balanced within one
    in twins, conditions and cells."""
    used: set[tuple[int, int]] = set()
    counts = [0] * n_conditions
    order = []
    for step in range(2 * n_conditions):
        twin = step % 2
        free = [c for c in range(n_conditions) if (twin, c) not in used]
        c = min(free, key=lambda c: (counts[c], c))
        used.add((twin, c))
        counts[c] += 1
        order.append((twin, c))
    return order


def _seed_int(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
