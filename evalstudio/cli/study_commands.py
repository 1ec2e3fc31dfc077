"""`evalstudio study create|validate|show`: studies from a definition file (study.toml)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from evalstudio.cli.context import with_workspace
from evalstudio.core.verification import PairVerdict
from evalstudio.services.study_setup import (
    StudyOverview,
    check_study_file,
    create_study,
    overview,
)
from evalstudio.services.workspace import Workspace

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def study() -> None:
    """Studies defined by a file: tasks, evaluators, conditions, plan (docs/study-format.md)."""


@study.command()
@click.argument("file", type=_FILE)
@with_workspace
def create(workspace: Workspace, file: Path) -> None:
    """Create the study FILE defines, with every evaluator's queue."""
    found = create_study(workspace, file)
    click.echo(f"Created study '{found.study.name}'.")
    click.echo(_describe(found))


@study.command()
@click.argument("file", type=_FILE)
@with_workspace
def validate(workspace: Workspace, file: Path) -> None:
    """Check FILE and its tasks, and show the plan it would make; nothing is written."""
    found = check_study_file(workspace, file)
    click.echo(f"{file}: valid. Creating it would make:")
    click.echo(_describe(found))


@study.command()
@click.argument("name")
@with_workspace
def show(workspace: Workspace, name: str) -> None:
    """Describe the study NAME: design, queues, power."""
    click.echo(_describe(overview(workspace, name)))


def _describe(found: StudyOverview) -> str:
    lines = [
        f"Study: {found.study.name}",
        f"  {found.items} items · {found.pairs} perturbation pairs · {found.gold} gold",
    ]
    d = found.definition
    if d is None:
        lines.append("  No definition: every evaluator sees every item, assisted.")
        return "\n".join(lines)
    lines += [
        f"  Conditions: {', '.join(c.value for c in d.conditions)}"
        + (f" (misleading p = {d.misleading_p:g})" if "misleading" in d.conditions else ""),
        f"  Assistance: {', '.join(k.value for k in d.assist_kinds)}; "
        + ("pre-generated" if d.pregenerated else "live")
        + ("; first verdict before the assistance" if d.commit_before_reveal else ""),
        f"  Judgments per pair: {d.judgments_per_pair or len(d.evaluators)} · "
        f"gold rate {d.gold_rate:.0%} · seed {d.seed!r}",
        "  Queues:",
    ]
    for name, size in found.queue_sizes.items():
        share = found.flawed_share.get(name, 0.0)
        lines.append(f"    {name}: {size} items, {share:.0%} of paired items flawed")
    if found.pairs:
        verdicts = Counter(verdict for verdict, _ in found.checks.values())
        lines.append(
            f"  Pairs checked by their tests: {verdicts[PairVerdict.VERIFIED]} verified, "
            f"{verdicts[PairVerdict.UNVERIFIED]} unverified, {verdicts[PairVerdict.BROKEN]} "
            f"broken; {found.untested_pairs} without a test"
        )
        for pair_id, (verdict, explanation) in found.checks.items():
            if verdict is not PairVerdict.VERIFIED:
                lines.append(f"    {pair_id}: {explanation}")
    power = found.power
    if power is not None:
        if power.detectable is None:
            lines.append(
                f"  Power: too few judgments to detect any rise from a "
                f"{power.baseline:.0%} detection rate with 80% power."
            )
        else:
            target, chance = next(iter(power.power_at.items()))
            lines.append(
                f"  Power (normal approximation, {power.flawed_per_condition:.0f} flawed-twin "
                f"judgments per condition): detects {power.baseline:.0%} → "
                f"{power.detectable:.0%} with 80% power; {power.baseline:.0%} → {target:.0%} "
                f"with {chance:.0%} power."
            )
    return "\n".join(lines)
