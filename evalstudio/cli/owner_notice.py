"""The command line acts as the study owner: an owner command (import, merge, study create,
report, export --with-truth, flaws, backup restore, pregen, judge, sandwich, pair suggest, …)
says so, once, on stderr, and does not ask the owner's passphrase.

Why not ask it: the command line runs on the owner's machine, and whoever can run a command
there can read the workspace file with sqlite3 anyway; asking only at a terminal would be
undone by `</dev/null`, and would stop the runs meant to go unattended (pregen, sandwich).
The passphrase keeps evaluators sharing a computer out of the app's owner tools; the workspace
file itself belongs where they cannot read it."""

from __future__ import annotations

from pathlib import Path

import click

_SAID = "evalstudio.owner_notice"


def say_acting_as_owner(workspace: Path) -> None:
    """Say on stderr that this command acts as the study owner of `workspace`, once per
    command line (click's context meta is shared by the command and its groups)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        if context.meta.get(_SAID):
            return
        context.meta[_SAID] = True
    click.echo(
        f"Acting as the study owner of {workspace} (the command line does not ask the "
        "owner's passphrase: it guards the app's owner tools).",
        err=True,
    )
