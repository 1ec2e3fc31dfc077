"""`evalstudio export`: a study's judgments, assistance log, preference pairs or the
preferences its comparisons and rankings state, to a file."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evalstudio.cli.context import reading_workspace
from evalstudio.cli.owner_notice import say_acting_as_owner
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.sessions.package import package_of
from evalstudio.services.workspace.opening import Workspace

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

_WHAT = {
    "judgments": "judgments",
    "events": "assistance requests",
    "pairs": "pairs",
    "preferences": "preferences",
}


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--study", "study_name", required=True, help="The study to export.")
@click.option(
    "--format",
    "format_name",
    type=click.Choice([f.value for f in ExportFormat]),
    required=True,
    help="judgments-jsonl / judgments-csv: one record per current judgment with the "
    "assistance used; events-jsonl / events-csv: every assistance request and response; "
    "pairs: preference pairs (prompt, chosen, rejected) for reward-model or DPO training; "
    "preferences: the same shape, one line per (better, worse) pair of each person's "
    "comparison or ranking.",
)
@click.option(
    "--with-truth",
    is_flag=True,
    help="Add the ground truth (twin, planted flaw, gold, manipulations, score): the study "
    "owner's export. Without it the file holds nothing an evaluator could not see. "
    "Pairs need it.",
)
@click.option(
    "--ties",
    is_flag=True,
    help="preferences: also write the answers an evaluator called about the same, marked "
    '"tie": true (left out by default: they state no preference).',
)
@reading_workspace()
def export(
    workspace: Workspace,
    file: Path,
    study_name: str,
    format_name: str,
    with_truth: bool,
    ties: bool,
) -> None:
    """Export a study to FILE in the chosen format (fields: docs/export-format.md).

    FILE appears only when complete; if anything goes wrong it is left as it was.
    """
    chosen = ExportFormat(format_name)
    if ties and chosen is not ExportFormat.PREFERENCES:
        raise click.UsageError("--ties is for --format preferences (the other formats have none)")
    if (with_truth or chosen.needs_truth) and package_of(workspace) is not None:
        raise click.ClickException(
            f"{workspace.path} is an evaluator's session package: it holds no answer key to "
            "export. Export the truth from the owner's workspace (--db)."
        )
    if chosen.needs_truth and not with_truth:
        raise click.UsageError(
            "preference pairs are made from the ground truth (which twin is flawed): add "
            "--with-truth (the study owner's export)"
        )
    if with_truth:
        say_acting_as_owner(workspace.path)
    with ExitStack() as stack:
        bar: ProgressBar[int] | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:  # the total is known once the export has counted its rows
                label = f"Exporting {_WHAT[chosen.content]}"
                bar = stack.enter_context(click.progressbar(length=total, label=label))
            bar.update(done - bar.pos)

        report = export_study(
            workspace,
            study_name,
            chosen,
            file,
            with_truth=with_truth,
            include_ties=ties,
            progress=progress,
        )
    truth = " with the ground truth" if with_truth else ""
    if chosen.content == "pairs":
        click.echo(
            f"Wrote {report.records:,} preference pairs to {file}: the pairs (of {report.rows:,}) "
            "whose evaluators' verdicts separate the twins."
        )
    elif chosen is ExportFormat.PREFERENCES:
        tied = " (ties included)" if ties else ""
        click.echo(
            f"Wrote {report.records:,} preferences{tied}{truth} to {file}, from "
            f"{report.rows:,} people's judgments of compare and rank items."
        )
    else:
        click.echo(f"Wrote {report.records:,} {_WHAT[chosen.content]}{truth} to {file}.")
