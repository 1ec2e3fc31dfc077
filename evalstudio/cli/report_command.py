"""`evalstudio report`: a study's numbers as JSON and as a self-contained HTML page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from evalstudio.cli.assist_commands import model_options, settings_of
from evalstudio.cli.context import reading_workspace
from evalstudio.core.plurals import counted
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.models.model_side import ModelSide, measure_model_side
from evalstudio.services.report.effects import EffectReport
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace


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
@click.option(
    "--model-side",
    is_flag=True,
    help="Also measure the model's side on the study's pairs: discrimination (yes/no "
    "scores of both twins) against critique catch. Runs the model (the --model options).",
)
@click.option(
    "--with-model-evaluators",
    is_flag=True,
    help="Count model evaluators' judgments in the figures too (by default they appear only "
    "in their own section).",
)
@model_options
@reading_workspace(owner=True, writes_if="model_side")
def report(
    workspace: Workspace,
    study_name: str,
    json_path: Path | None,
    html_path: Path | None,
    model_side: bool,
    with_model_evaluators: bool,
    **model: Any,
) -> None:
    """Detection and false-alarm rates per condition, the effect of assistance (difference
    and ratio with 95% two-way cluster-robust intervals, permutation p), change after reveal,
    reliance, agreement, calibration, unplanted flaws; for compare items of pairs, the share
    picking the correct twin and its effect the same way; with --model-side, the model's own
    discriminator–critique gap."""
    if json_path is None and html_path is None:
        raise click.UsageError("say where: --json FILE, --html FILE, or both")
    found = build_report(workspace, study_name, with_model_evaluators=with_model_evaluators)
    if model_side:
        found = found.with_model_side(_measure(workspace, study_name, model))
    for effect in found.effects:
        _echo_effect(effect, "detection")
    for effect in found.comparison_effects:
        _echo_effect(effect, "comparisons picking the correct twin")
    if json_path is not None:
        json_path.write_text(json.dumps(found.to_json(), indent=2) + "\n", encoding="utf-8")
        click.echo(f"Wrote {json_path}.")
    if html_path is not None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        page, _ = report_page(found, stamp)
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"Wrote {html_path}.")


def _echo_effect(effect: EffectReport, what: str) -> None:
    e, ci = effect.effect, effect.effect.difference_ci
    interval = f" (95% CI {ci.low:+.1%} to {ci.high:+.1%})" if ci else ""
    click.echo(
        f"{effect.treated} vs {effect.control}: {what} {e.rate_treated:.0%} vs "
        f"{e.rate_control:.0%}, difference {e.difference:+.1%}{interval}, "
        f"p = {effect.p_value:.3f}"
    )


def _measure(workspace: Workspace, study_name: str, model: dict[str, Any]) -> ModelSide:
    study = studies.study_named(workspace, study_name)
    assistant = Assistant.start(workspace, settings_of(model))
    try:
        with click.progressbar(length=1, label="Measuring the model's side") as bar:

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            measured = measure_model_side(assistant, study.id, on_pair=progress)
    finally:
        assistant.close()
    for failure in measured.failed:
        click.echo(f"left out: {failure}", err=True)
    side = measured.summary()
    if side["gap"] is not None:
        click.echo(
            f"model side ({measured.model}, {counted(len(measured.pairs), 'pair')}): "
            "discrimination "
            f"{side['discrimination']:.0%}, critique catch {side['critique_catch']:.0%}, "
            f"gap {side['gap']:+.0%}"
        )
    return measured
