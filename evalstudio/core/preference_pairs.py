"""Which perturbation pairs become preference pairs: those whose evaluators' verdicts separate
the twins (docs/export-format.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TwinVotes:
    """The current final verdicts on one twin, all evaluators together (skips do not vote)."""

    flawed: int
    acceptable: int


def separates(flawed_twin: TwinVotes, correct_twin: TwinVotes) -> bool:
    """Whether the verdicts tell the twins apart: a strict majority says "flawed" on the flawed
    twin and a strict majority says "acceptable" on the correct twin. A tie, or a twin nobody
    judged, does not separate."""
    return (
        flawed_twin.flawed > flawed_twin.acceptable
        and correct_twin.acceptable > correct_twin.flawed
    )
