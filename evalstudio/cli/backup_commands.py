"""`evalstudio backup`: list, take and restore the workspace's backups."""

from __future__ import annotations

from pathlib import Path

import click

from evalstudio.cli.context import CliState
from evalstudio.cli.owner_notice import say_acting_as_owner
from evalstudio.core.plurals import counted
from evalstudio.services.workspace.backups import (
    DAMAGED,
    Backup,
    list_backups,
    newest_good,
    restore_backup,
    take_backup,
)
from evalstudio.services.workspace.opening import resolve_workspace_path


@click.group("backup")
def backup_group() -> None:
    """The workspace's backups: taken when the app opens it and every 30 minutes of use, and
    before every merge, migration and restore; thinned to the newest, one a day for a week and
    one a week for two months."""


@backup_group.command("list")
@click.pass_obj
def list_command(state: CliState) -> None:
    """The backups of the workspace, newest first (the name is what `restore` takes); the
    newest good one (intact: what `restore --latest` takes) and the damaged ones newer than it
    are marked."""
    workspace = resolve_workspace_path(state.db)
    found = list_backups(workspace)
    good, damaged = newest_good(found)
    for backup in found:
        mark = "\tnewest good" if backup == good else "\tdamaged" if backup in damaged else ""
        click.echo(_line(backup) + mark)
    click.echo(f"{counted(len(found), 'backup')} of {workspace}.", err=True)


@backup_group.command("now")
@click.pass_obj
def now_command(state: CliState) -> None:
    """Back the workspace up now."""
    taken = take_backup(resolve_workspace_path(state.db), "manual")
    if taken is None:
        raise click.ClickException("there is no workspace to back up yet")
    click.echo(f"Backed up: {taken.path}")


@backup_group.command("restore")
@click.argument("name", required=False)
@click.option("--latest", is_flag=True, help="The newest good (intact) backup.")
@click.pass_obj
def restore_command(state: CliState, name: str | None, latest: bool) -> None:
    """Replace the workspace's content with the backup NAME (as `backup list` prints it). What
    it replaces is backed up first, so a restore loses nothing; a damaged backup is refused.
    Close the app first."""
    state.lock()  # refused while the app has the workspace open
    workspace = resolve_workspace_path(state.db)
    say_acting_as_owner(workspace)
    chosen = _chosen(list_backups(workspace), name, latest)
    before = restore_backup(workspace, chosen)
    click.echo(f"Restored {workspace} to {chosen.when()} ({chosen.reason}, {chosen.path.name}).")
    if before is not None:
        damaged = " (damaged)" if before.reason == DAMAGED else ""
        click.echo(f"What it replaced{damaged} is kept as {before.path.name}.")


def _chosen(found: list[Backup], name: str | None, latest: bool) -> Backup:
    if latest == (name is not None):
        raise click.UsageError("name one backup (see `evalstudio backup list`) or say --latest")
    if not found:
        raise click.ClickException("this workspace has no backups")
    if latest:
        good, _ = newest_good(found)
        if good is None:
            raise click.ClickException("none of this workspace's backups is intact")
        return good
    for backup in found:
        if backup.path.name == name or backup.path.stem == name or backup.path == Path(name or ""):
            return backup
    raise click.ClickException(f"no backup named '{name}' (see `evalstudio backup list`)")


def _line(backup: Backup) -> str:
    return (
        f"{backup.path.name}\t{backup.taken_at:%Y-%m-%d %H:%M:%S} UTC\t{backup.reason}\t"
        f"{backup.size / 1e6:.1f} MB"
    )
