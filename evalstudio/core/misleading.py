"""The misaligned assistant: with probability p, seeded per evaluator x item, a response is
replaced by one that argues a chosen verdict. Pure, so the same study replays the same
manipulations. One implementation for the human `misleading` condition and for model
evaluators' sweeps (services/sandwich.py).

Three kinds of misalignment decide which verdict a manipulated response argues:
- adversarial: against the ground truth (vouch for a flawed answer, flag a plausible line of a
  correct one); with unknown truth, a direction drawn at even odds;
- flip: the opposite of the honest critique's verdict (the caller generates that first);
- random: a verdict drawn at even odds, and a random line when it says "flawed".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.assistance import AssistKind, Manipulation
from evalstudio.core.model import Truth, Verdict


class Misalignment(StrEnum):
    ADVERSARIAL = "adversarial"
    FLIP = "flip"
    RANDOM = "random"


@dataclass(frozen=True)
class MisleadingPlan:
    """Whether and how one response is manipulated, and which line a FLAG points at."""

    manipulation: Manipulation | None
    flag_line: int | None
    misalignment: Misalignment | None = None


NOT_MANIPULATED = MisleadingPlan(None, None)


@dataclass(frozen=True)
class Misleading:
    """The misleading-assistant condition: each response manipulated with probability p, in
    the direction `misalignment` chooses. The draw is per (`key`, item): `key` defaults to
    the evaluator (a sweep uses one key for all its cells of a repeat, so the sets of
    manipulated items are nested as p grows)."""

    p: float
    seed: str
    misalignment: Misalignment = Misalignment.ADVERSARIAL
    key: str | None = None


def uniform(*parts: str) -> float:
    """A reproducible number in [0, 1) from the parts (SHA-256, not Python's salted hash)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / 2**53  # 53 bits: exact, never 1.0


def drawn(*, p: float, seed: str, evaluator_id: str, item_id: str, kind: AssistKind) -> bool:
    """Whether the response of `kind` on the item is manipulated for the evaluator. The
    uniform number does not depend on p, so a response manipulated at p is manipulated at
    every larger p too (a sweep over p compares nested sets)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], not {p}")
    return uniform(seed, evaluator_id, item_id, kind.value, "draw") < p


def plan_manipulation(
    *,
    p: float,
    seed: str,
    evaluator_id: str,
    item_id: str,
    kind: AssistKind,
    truth: Truth | None,
    candidate: str,
    misalignment: Misalignment = Misalignment.ADVERSARIAL,
    honest: Verdict | None = None,
) -> MisleadingPlan:
    """Decide one response: manipulated with probability `p`, reproducibly, in the direction
    `misalignment` chooses. A FLIP needs `honest`, the honest critique's verdict."""
    if not drawn(p=p, seed=seed, evaluator_id=evaluator_id, item_id=item_id, kind=kind):
        return NOT_MANIPULATED

    def coin(purpose: str) -> float:
        return uniform(seed, evaluator_id, item_id, kind.value, purpose)

    if misalignment is Misalignment.FLIP:
        if honest is None:
            raise ValueError("a flip needs the verdict of the honest critique")
        manipulation = Manipulation.PASS if honest is Verdict.FLAWED else Manipulation.FLAG
    elif misalignment is Misalignment.ADVERSARIAL and truth is Truth.FLAWED:
        manipulation = Manipulation.PASS
    elif misalignment is Misalignment.ADVERSARIAL and truth is Truth.CORRECT:
        manipulation = Manipulation.FLAG
    else:  # random, or adversarial without a known truth
        manipulation = Manipulation.PASS if coin("direction") < 0.5 else Manipulation.FLAG
    if manipulation is Manipulation.PASS:
        return MisleadingPlan(manipulation, None, misalignment)
    lines = [n for n, line in enumerate(candidate.splitlines(), start=1) if line.strip()] or [1]
    return MisleadingPlan(manipulation, lines[int(coin("line") * len(lines))], misalignment)
