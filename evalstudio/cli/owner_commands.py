"""`evalstudio owner passphrase`: protect the owner's tools in the app with a passphrase."""

from __future__ import annotations

import click

from evalstudio.cli.context import with_owner_workspace
from evalstudio.services.workspace import owner
from evalstudio.services.workspace.opening import Workspace


@click.group("owner")
def owner_group() -> None:
    """The study owner's role (see `owner passphrase --help`)."""


@owner_group.command()
@with_owner_workspace
def passphrase(workspace: Workspace) -> None:
    """Set or change the passphrase the app asks before the owner's tools and actions.

    The app asks it, once while it stays open on the workspace, before the Owner menu, import,
    merge, restore from a backup and exports with the truth. It keeps evaluators on a shared
    machine out of them; it does not encrypt the workspace file, and the command line does not
    ask it.
    """
    current = None
    if owner.is_protected(workspace):
        current = click.prompt("Current passphrase", hide_input=True)
    new = click.prompt("New passphrase", hide_input=True, confirmation_prompt=True)
    owner.set_passphrase(workspace, new, current)
    click.echo("The owner's tools now ask for this passphrase.")
