"""`evalstudio flaws`: the owner's review of unplanted flaws (reported, matching no plant)."""

from __future__ import annotations

import click

from evalstudio.cli.context import reading_workspace, with_owner_workspace
from evalstudio.services.review.flaw_review import UnplantedFlaw, review_flaw, unplanted_flaws
from evalstudio.services.workspace.opening import Workspace


@click.group("flaws")
def flaws_group() -> None:
    """Flaws evaluators reported that match no planted flaw: list them, mark them real or not.
    The report counts the ones marked real."""


@flaws_group.command("list")
@click.option("--study", "study_name", required=True, help="The study whose flaws to list.")
@click.option("--unreviewed", is_flag=True, help="Only the flaws not reviewed yet.")
@reading_workspace(owner=True)
def list_command(workspace: Workspace, study_name: str, unreviewed: bool) -> None:
    """One flaw per line: its reference (for `flaws mark`), item, twin, evaluator, place,
    review, description."""
    found = [
        f
        for f in unplanted_flaws(workspace, study_name)
        if not unreviewed or (f.real is None and not f.outside)
    ]
    for flaw in found:
        click.echo(_line(flaw))
    reviewed = sum(f.real is not None for f in found)
    click.echo(f"{len(found)} unplanted flaws, {reviewed} reviewed.", err=True)


@flaws_group.command("mark")
@click.option("--study", "study_name", required=True, help="The study of the flaw.")
@click.argument("refs", nargs=-1, required=True)
@click.option("--real/--not-real", required=True, help="Whether the flaw is real.")
@with_owner_workspace
def mark_command(workspace: Workspace, study_name: str, refs: tuple[str, ...], real: bool) -> None:
    """Mark the flaws REFS (as `flaws list` prints them) real or not; the newest mark counts."""
    for ref in refs:
        click.echo(_line(review_flaw(workspace, study_name, ref, real)))


def _line(flaw: UnplantedFlaw) -> str:
    f = flaw.flaw
    if f.lines is not None:
        place = f"line {f.lines.start}" if f.lines.start == f.lines.end else ""
        place = place or f"lines {f.lines.start}-{f.lines.end}"
    elif f.span is not None:
        place = f"characters {f.span.start}-{f.span.end}"
    else:
        place = "no place"
    review = {None: "unreviewed", True: "real", False: "not real"}[flaw.real]
    if flaw.outside:
        place, review = f"{place} (outside the answer)", "not counted"
    condition = flaw.condition.value if flaw.condition else "-"
    description = " ".join(f.description.split())
    return (
        f"{flaw.ref}\t{flaw.item_name}\t{flaw.truth.value}\t{flaw.evaluator}\t{condition}\t"
        f"{place}\t{f.severity.value}\t{review}\t{description}"
    )
