"""`evalstudio report`: a study's numbers as JSON and as a self-contained HTML page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from evalstudio.cli.context import with_workspace
from evalstudio.services.report import build_report, report_page
from evalstudio.services.workspace import Workspace


@click.command()
@click.option("--study", "study_name", required=True, help="The study to report on.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every number here (docs/report.md).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as one HTML file (figures inside; opens offline).",
)
@with_workspace
def report(
    workspace: Workspace, study_name: str, json_path: Path | None, html_path: Path | None
) -> None:
    """Detection and false-alarm rates per condition, the effect of assistance (difference
    and ratio with 95% two-way cluster-robust intervals, permutation p), change after reveal."""
    if json_path is None and html_path is None:
        raise click.UsageError("say where: --json FILE, --html FILE, or both")
    found = build_report(workspace, study_name)
    for effect in found.effects:
        e = effect.effect
        ci = e.difference_ci
        interval = f" (95% CI {ci.low:+.1%} to {ci.high:+.1%})" if ci else ""
        click.echo(
            f"{effect.treated} vs {effect.control}: detection {e.rate_treated:.0%} vs "
            f"{e.rate_control:.0%}, difference {e.difference:+.1%}{interval}, "
            f"p = {effect.p_value:.3f}"
        )
    if json_path is not None:
        json_path.write_text(json.dumps(found.to_json(), indent=2) + "\n", encoding="utf-8")
        click.echo(f"Wrote {json_path}.")
    if html_path is not None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        page, _ = report_page(found, stamp)
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"Wrote {html_path}.")
