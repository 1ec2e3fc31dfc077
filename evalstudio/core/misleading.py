"""The misleading-assistant draw: with probability p, seeded per evaluator x item, a response
is replaced by a plausible wrong one. Pure, so the same study replays the same manipulations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from evalstudio.core.assistance import AssistKind, Manipulation
from evalstudio.core.model import Truth


@dataclass(frozen=True)
class MisleadingPlan:
    """Whether and how one response is manipulated, and which line a FLAG points at."""

    manipulation: Manipulation | None
    flag_line: int | None


def _uniform(*parts: str) -> float:
    """A reproducible number in [0, 1) from the parts (SHA-256, not Python's salted hash)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / 2**53  # 53 bits: exact, never 1.0


def plan_manipulation(
    *,
    p: float,
    seed: str,
    evaluator_id: str,
    item_id: str,
    kind: AssistKind,
    truth: Truth | None,
    candidate: str,
) -> MisleadingPlan:
    """Decide one response: manipulated with probability `p`, reproducibly.

    A flawed candidate gets a PASS (the assistant vouches for it), a correct one a FLAG (the
    assistant claims a flaw on a plausible line). With unknown truth the direction is drawn
    at even odds, so the response is wrong about half the time it is manipulated.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], not {p}")
    if _uniform(seed, evaluator_id, item_id, kind.value, "draw") >= p:
        return MisleadingPlan(None, None)
    if truth is Truth.FLAWED:
        manipulation = Manipulation.PASS
    elif truth is Truth.CORRECT:
        manipulation = Manipulation.FLAG
    else:
        coin = _uniform(seed, evaluator_id, item_id, kind.value, "direction")
        manipulation = Manipulation.PASS if coin < 0.5 else Manipulation.FLAG
    if manipulation is Manipulation.PASS:
        return MisleadingPlan(manipulation, None)
    lines = [n for n, line in enumerate(candidate.splitlines(), start=1) if line.strip()] or [1]
    pick = _uniform(seed, evaluator_id, item_id, kind.value, "line")
    return MisleadingPlan(manipulation, lines[int(pick * len(lines))])
