"""`evalstudio study create|validate|show`: studies from a definition file (study.toml)."""

from __future__ import annotations

from pathlib import Path

import click

from evalstudio.cli.context import reading_workspace, with_owner_workspace
from evalstudio.services.sandbox.pair_tests import TRUST_NOTE
from evalstudio.services.studies.setup import (
    check_study_file,
    create_study,
    overview,
    overview_text,
)
from evalstudio.services.workspace.opening import Workspace

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def study() -> None:
    """Studies defined by a file: tasks, evaluators, conditions, plan (docs/study-format.md)."""


@study.command()
@click.argument("file", type=_FILE)
@with_owner_workspace
def create(workspace: Workspace, file: Path) -> None:
    """Create the study FILE defines, with every evaluator's queue."""
    found = create_study(workspace, file)
    click.echo(f"Created study '{found.study.name}'.")
    click.echo(overview_text(found))


@study.command()
@click.argument("file", type=_FILE)
@with_owner_workspace  # checking creates the study in a transaction it rolls back
def validate(workspace: Workspace, file: Path) -> None:
    """Check FILE and its tasks, and show the plan it would make; nothing is written."""
    found = check_study_file(workspace, file)
    click.echo(f"{file}: valid. Creating it would make:")
    click.echo(overview_text(found))
    if found.checks:  # its pairs' tests ran the candidates' code
        click.echo(TRUST_NOTE)


@study.command()
@click.argument("name")
@reading_workspace(owner=True)
def show(workspace: Workspace, name: str) -> None:
    """Describe the study NAME: design, queues, power."""
    click.echo(overview_text(overview(workspace, name)))
