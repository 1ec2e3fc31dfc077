"""What every command shares: the workspace the --db option chooses, opened once, on demand."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evalstudio.services.session_package import package_of
from evalstudio.services.workspace import Workspace, open_workspace


class CliState:
    """The --db choice, and the workspace it names once a command needs it."""

    def __init__(self, db: Path | None) -> None:
        self.db = db
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.db)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()


def with_owner_workspace(f: Callable[..., Any]) -> Callable[..., Any]:
    """`with_workspace` for the study owner's commands: an evaluator's session package (no
    answer key, one evaluator's share) is refused, so no owner command runs on one."""

    @click.pass_obj
    @functools.wraps(f)
    def wrapper(state: CliState, *args: Any, **kwargs: Any) -> Any:
        workspace = state.workspace()
        if package_of(workspace) is not None:
            raise click.ClickException(
                f"{workspace.path} is an evaluator's session package: the study owner's "
                "commands do not run on it (it holds no answer key). Use the owner's "
                "workspace (--db)."
            )
        return f(workspace, *args, **kwargs)

    return wrapper


def with_workspace(f: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the command the opened workspace as its first argument."""

    @click.pass_obj
    @functools.wraps(f)
    def wrapper(state: CliState, *args: Any, **kwargs: Any) -> Any:
        return f(state.workspace(), *args, **kwargs)

    return wrapper


screenshot_option = click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the window as a PNG once it is drawn, then quit (to check an install).",
)
