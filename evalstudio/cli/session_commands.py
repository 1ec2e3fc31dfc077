"""Offline sessions: `session export` writes an evaluator's package, `open` opens a package (or a
workspace) in the app, `merge` brings returned work back (docs/session-packages.md)."""

from __future__ import annotations

from pathlib import Path

import click

from evalstudio.cli.context import reading_workspace, screenshot_option, with_workspace
from evalstudio.cli.owner_notice import say_acting_as_owner
from evalstudio.core.errors import SessionError
from evalstudio.core.plurals import counted
from evalstudio.core.session_merge import MergeSummary
from evalstudio.services.sessions.merge import merge_files
from evalstudio.services.sessions.package import export_package
from evalstudio.services.workspace.opening import Workspace, refuse_what_is_not_ours


@click.group()
def session() -> None:
    """Session packages: one evaluator's share of a study, to label offline."""


@session.command("export")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option("--evaluator", "evaluator_name", required=True, help="Whose session it is.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@reading_workspace()
def export_command(workspace: Workspace, study_name: str, evaluator_name: str, out: Path) -> None:
    """Write OUT (a new file, e.g. ada.evs): the evaluator's items in plan order, guidelines,
    prompts, pre-generated responses and model settings; no answer key, nobody else's work."""
    say_acting_as_owner(workspace.path)
    found = export_package(workspace, study_name, evaluator_name, out)
    click.echo(
        f"Wrote {found.path}: {found.evaluator}'s {counted(found.items, 'item')} of "
        f"'{found.study}' ({found.judged} judged already), "
        f"{counted(found.stored, 'pre-generated response')}."
    )
    click.echo(f"Open it with: evalstudio open {found.path}")


@click.command("open")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@screenshot_option
def open_command(file: Path, screenshot: Path | None) -> None:
    """Open FILE in the app: a session package starts its evaluator's review at once; a
    workspace opens on its studies."""
    refuse_what_is_not_ours(file)  # said at once, before Qt loads (the app checks too)
    from evalstudio.ui.app import run_app  # Qt loads only when the app is wanted

    raise SystemExit(run_app(file, screenshot=screenshot))


@click.command("merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust-unsigned",
    is_flag=True,
    help="Also take files this workspace cannot prove it wrote: packages and workspace "
    "copies from before EvalStudio signed them. Only for files whose sender you know.",
)
@with_workspace
def merge_command(workspace: Workspace, files: tuple[Path, ...], trust_unsigned: bool) -> None:
    """Merge returned session packages (or workspaces) FILES into the workspace: judgments,
    drafts, assistance and history rows, by id. Merging a file twice changes nothing; a row
    whose id is here with other content is reported and kept apart, never written over.
    Each file is checked first and merged in one transaction, or not at all. A package must
    carry this workspace's signature for its evaluator; a workspace must be a copy of this
    one."""

    def show(path: Path, result: MergeSummary | SessionError) -> None:
        if isinstance(result, SessionError):
            click.echo(f"Not merged: {result}", err=True)
        else:
            click.echo("\n".join(result.lines()))

    say_acting_as_owner(workspace.path)
    results = merge_files(workspace, list(files), on_result=show, trust_unsigned=trust_unsigned)
    refused = sum(isinstance(r, SessionError) for r in results)
    if refused:
        raise click.ClickException(f"{refused} of {counted(len(results), 'file')} not merged")
