"""`evalstudio pair suggest|verify`: authoring and checking perturbation pairs in task files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from evalstudio.cli.assist_commands import model_options, settings_of
from evalstudio.cli.context import with_owner_workspace
from evalstudio.core.perturbation import diff_text
from evalstudio.core.plurals import counted
from evalstudio.core.verification import PairVerdict
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.sandbox.pair_tests import verify_pair_tests
from evalstudio.services.studies.pair_authoring import suggest_twin
from evalstudio.services.studies.pair_checks import verify_file
from evalstudio.services.workspace.opening import Workspace

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def pair() -> None:
    """Perturbation pairs in task files: suggest a flawed twin, verify pairs by their tests."""


@pair.command()
@click.argument("file", type=_FILE)
@click.option("--id", "record_id", required=True, help="The correct record to perturb.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the pair's two records here (JSONL) to review and add to the task file.",
)
@model_options
@with_owner_workspace
def suggest(
    workspace: Workspace, file: Path, record_id: str, out: Path | None, **model: Any
) -> None:
    """Ask the model to plant one flaw in record ID of FILE; show the diff and the records.

    The reply holds the whole answer again: for long answers raise --max-tokens.
    """
    settings = settings_of(model)
    assistant = Assistant.start(workspace, settings)
    try:
        suggestion, records = suggest_twin(
            assistant, file, record_id, max_tokens=settings.max_tokens
        )
    finally:
        assistant.close()
    lines = suggestion.lines
    click.echo(f"Flaw ({suggestion.severity.value}), lines {lines.start}-{lines.end}:")
    click.echo(f"  {suggestion.description}")
    click.echo(diff_text(suggestion.correct, suggestion.flawed))
    test = records[0].get("test")
    if test:  # judged like any hand-made pair
        check = verify_pair_tests(suggestion.correct, suggestion.flawed, test)
        click.echo(f"Test: {check.explanation}")
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the pair to {out}: review it, then add it to {file.name}.")


@pair.command()
@click.argument("file", type=_FILE)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="Seconds each twin's tests may run.",
)
def verify(file: Path, timeout: float) -> None:
    """Run each code pair's test on both twins: the correct twin must pass, the flawed twin
    must not. Exits with 1 if a pair is unverified or broken."""
    found = verify_file(file, timeout_s=timeout)
    if not found:
        click.echo(f"{file}: no code pair with a test.")
        return
    for pair_id, check in found.items():
        click.echo(f"{pair_id}: {check.explanation}")
    bad = [p for p, c in found.items() if c.verdict is not PairVerdict.VERIFIED]
    click.echo(f"{len(found) - len(bad)} of {counted(len(found), 'pair')} verified.")
    if bad:
        raise SystemExit(1)
