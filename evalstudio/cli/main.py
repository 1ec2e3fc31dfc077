"""The `evalstudio` command: the app with no arguments, and everything that is not the review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evalstudio import __version__
from evalstudio.cli.assist_commands import assist, pregen
from evalstudio.cli.backup_commands import backup_group
from evalstudio.cli.context import (
    CliState,
    reading_workspace,
    screenshot_option,
    with_owner_workspace,
)
from evalstudio.cli.export_command import export
from evalstudio.cli.flaw_commands import flaws_group
from evalstudio.cli.model_evaluator_commands import judge, sandwich
from evalstudio.cli.owner_commands import owner_group
from evalstudio.cli.pair_commands import pair
from evalstudio.cli.report_command import report
from evalstudio.cli.self_test_command import self_test_option
from evalstudio.cli.session_commands import merge_command, open_command, session
from evalstudio.cli.simulate_command import simulate
from evalstudio.cli.study_commands import study
from evalstudio.core.errors import EvalStudioError, ImportRejected
from evalstudio.core.plurals import counted
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace, resolve_workspace_path


class _Group(click.Group):
    """Turns the one user-facing error type into a click error: a message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvalStudioError as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(__version__, prog_name="evalstudio")
@self_test_option
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Workspace file (default: $EVALSTUDIO_DB, else workspace.sqlite in the user data dir).",
)
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """EvalStudio: review candidate answers with a local model's help, and measure the help.

    With no command, opens the app.
    """
    state = CliState(db)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(app)


@main.command()
@click.option("--study", "study_name", help="Study to open (default: the demo study).")
@screenshot_option
@click.pass_obj
def app(state: CliState, study_name: str | None, screenshot: Path | None) -> None:
    """Open the app (the demo study is added to a workspace that has no studies)."""
    from evalstudio.ui.app import run_app  # Qt loads only when the app is wanted

    raise SystemExit(run_app(resolve_workspace_path(state.db), study_name, screenshot))


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--study", "study_name", required=True, help="Study to import into (created if new).")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and list the bad ones.")
@with_owner_workspace
def import_command(workspace: Workspace, file: Path, study_name: str, skip_invalid: bool) -> None:
    """Import tasks from a JSONL or CSV FILE (format: docs/task-format.md).

    Every bad row is reported with its line and field. By default nothing is imported when
    any row is bad.
    """
    try:
        report = import_tasks(workspace, file, study_name, skip_invalid=skip_invalid)
    except ImportRejected as e:
        for problem in e.problems:
            click.echo(problem.describe(e.source), err=True)
        raise click.ClickException(
            f"nothing imported from {e.source}: "
            f"{counted(len({p.line for p in e.problems}), 'bad row')} "
            "(fix them, or use --skip-invalid to import the good ones)"
        ) from e
    for problem in report.problems:
        click.echo(problem.describe(report.source), err=True)
    if report.naming_warning:
        click.echo(report.naming_warning, err=True)
    skipped = f", skipped {counted(report.skipped_rows, 'bad row')}" if report.problems else ""
    click.echo(
        f"Imported {counted(report.items, 'item')} ({counted(report.tasks, 'new task')}, "
        f"{counted(report.pairs, 'pair')}) "
        f"into '{report.study.name}'{skipped}."
    )


@main.command("studies")
@reading_workspace()
def studies_command(workspace: Workspace) -> None:
    """List the workspace's studies with their counts."""
    summaries = studies.list_studies(workspace)
    if not summaries:
        click.echo(
            f"No studies in {workspace.path}. Add one with: evalstudio import FILE --study NAME"
        )
        return
    header = ("study", "items", "code", "text", "pairs", "judgments")
    rows = [
        (s.study.name, s.items, s.code_items, s.text_items, s.pairs, s.judgments) for s in summaries
    ]
    width = max(len(header[0]), *(len(r[0]) for r in rows))
    click.echo(f"{header[0]:<{width}}" + "".join(f"  {h:>9}" for h in header[1:]))
    for name, *counts in rows:
        click.echo(f"{name:<{width}}" + "".join(f"  {c:>9}" for c in counts))


main.add_command(pregen)
main.add_command(assist)
main.add_command(study)
main.add_command(pair)
main.add_command(owner_group)
main.add_command(simulate)
main.add_command(report)
main.add_command(session)
main.add_command(open_command)
main.add_command(merge_command)
main.add_command(export)
main.add_command(flaws_group)
main.add_command(backup_group)
main.add_command(judge)
main.add_command(sandwich)
