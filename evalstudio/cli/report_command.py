"""`evalstudio report`: a study's numbers as JSON (the HTML report comes with issue 7)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evalstudio.cli.context import with_workspace
from evalstudio.services.report import build_report
from evalstudio.services.workspace import Workspace


@click.command()
@click.option("--study", "study_name", required=True, help="The study to report on.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write every number here (docs/report.md).",
)
@with_workspace
def report(workspace: Workspace, study_name: str, json_path: Path) -> None:
    """Detection and false-alarm rates per condition, the effect of assistance (difference
    and ratio with 95% two-way cluster-robust intervals, permutation p), change after reveal."""
    found = build_report(workspace, study_name)
    json_path.write_text(json.dumps(found.to_json(), indent=2) + "\n", encoding="utf-8")
    for effect in found.effects:
        e = effect.effect
        ci = e.difference_ci
        interval = f" (95% CI {ci.low:+.1%} to {ci.high:+.1%})" if ci else ""
        click.echo(
            f"{effect.treated} vs {effect.control}: detection {e.rate_treated:.0%} vs "
            f"{e.rate_control:.0%}, difference {e.difference:+.1%}{interval}, "
            f"p = {effect.p_value:.3f}"
        )
    click.echo(f"Wrote {json_path}.")
