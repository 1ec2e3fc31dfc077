"""`evalstudio backup`: list, take and restore the workspace's backups."""

from __future__ import annotations

from pathlib import Path

import click

from evalstudio.cli.context import CliState
from evalstudio.services.backups import Backup, list_backups, restore_backup, take_backup
from evalstudio.services.workspace import resolve_workspace_path


@click.group("backup")
def backup_group() -> None:
    """The workspace's backups: taken when the app opens it and every 30 minutes of use, and
    before every merge, migration and restore; thinned to the newest, one a day for a week and
    one a week for two months."""


@backup_group.command("list")
@click.pass_obj
def list_command(state: CliState) -> None:
    """The backups of the workspace, newest first (the name is what `restore` takes)."""
    workspace = resolve_workspace_path(state.db)
    found = list_backups(workspace)
    for backup in found:
        click.echo(_line(backup))
    click.echo(f"{len(found)} backups of {workspace}.", err=True)


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
@click.option("--latest", is_flag=True, help="The newest backup.")
@click.pass_obj
def restore_command(state: CliState, name: str | None, latest: bool) -> None:
    """Replace the workspace's content with the backup NAME (as `backup list` prints it). What
    it replaces is backed up first, so a restore loses nothing. Close the app first."""
    from evalstudio.ui.workspace_lock import WorkspaceLock  # QtCore only: no window

    workspace = resolve_workspace_path(state.db)
    found = list_backups(workspace)
    chosen = _chosen(found, name, latest)
    lock = WorkspaceLock()
    held = lock.take(workspace)
    if held is not None:
        raise click.ClickException(held)
    try:
        before = restore_backup(workspace, chosen)
    finally:
        lock.release()
    click.echo(
        f"Restored {workspace} to {chosen.taken_at:%Y-%m-%d %H:%M:%S} UTC ({chosen.reason})."
    )
    if before is not None:
        click.echo(f"What it replaced is kept as {before.path.name}.")


def _chosen(found: list[Backup], name: str | None, latest: bool) -> Backup:
    if latest == (name is not None):
        raise click.UsageError("name one backup (see `evalstudio backup list`) or say --latest")
    if not found:
        raise click.ClickException("this workspace has no backups")
    if latest:
        return found[0]
    for backup in found:
        if backup.path.name == name or backup.path.stem == name or backup.path == Path(name or ""):
            return backup
    raise click.ClickException(f"no backup named '{name}' (see `evalstudio backup list`)")


def _line(backup: Backup) -> str:
    return (
        f"{backup.path.name}\t{backup.taken_at:%Y-%m-%d %H:%M:%S} UTC\t{backup.reason}\t"
        f"{backup.size / 1e6:.1f} MB"
    )
