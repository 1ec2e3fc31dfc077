"""What every command shares: the workspace the --db option chooses, opened once, on demand —
for writing, under the workspace's lock, or only to read it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evalstudio.cli.owner_notice import say_acting_as_owner
from evalstudio.services.sessions.package import package_of
from evalstudio.services.workspace.lock import WorkspaceLock
from evalstudio.services.workspace.opening import (
    Workspace,
    open_workspace,
    open_workspace_read_only,
    resolve_workspace_path,
)


class CliState:
    """The --db choice, and the workspace it names once a command needs it."""

    def __init__(self, db: Path | None) -> None:
        self.db = db
        self._workspace: Workspace | None = None
        self._lock: WorkspaceLock | None = None

    def lock(self) -> None:
        """Hold the workspace's lock until the command ends: a command that writes refuses
        while the app (or another such command) has the workspace open."""
        if self._lock is None:
            ctx = click.get_current_context(silent=True)
            name = ctx.command_path if ctx is not None else "evalstudio"
            lock = WorkspaceLock(holder=f"command ({name})")
            held = lock.take(resolve_workspace_path(self.db))
            if held is not None:
                raise click.ClickException(held)
            self._lock = lock

    def workspace(self) -> Workspace:
        """The workspace, opened (created, migrated) to write in, under its lock."""
        if self._workspace is None:
            self.lock()
            self._workspace = open_workspace(self.db)
        return self._workspace

    def workspace_to_read(self) -> Workspace:
        """The workspace, opened only to read: nothing is written to it (it may be on
        read-only media), and no lock is needed."""
        if self._workspace is None:
            self._workspace = open_workspace_read_only(self.db)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
        if self._lock is not None:
            self._lock.release()


def _owners(workspace: Workspace) -> Workspace:
    if package_of(workspace) is not None:
        raise click.ClickException(
            f"{workspace.path} is an evaluator's session package: the study owner's "
            "commands do not run on it (it holds no answer key). Use the owner's "
            "workspace (--db)."
        )
    say_acting_as_owner(workspace.path)
    return workspace


def with_owner_workspace(f: Callable[..., Any]) -> Callable[..., Any]:
    """`with_workspace` for the study owner's commands: an evaluator's session package (no
    answer key, one evaluator's share) is refused, so no owner command runs on one."""

    @click.pass_obj
    @functools.wraps(f)
    def wrapper(state: CliState, *args: Any, **kwargs: Any) -> Any:
        return f(_owners(state.workspace()), *args, **kwargs)

    return wrapper


def with_workspace(f: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the command the workspace, opened to write in (under its lock), as its first
    argument."""

    @click.pass_obj
    @functools.wraps(f)
    def wrapper(state: CliState, *args: Any, **kwargs: Any) -> Any:
        return f(state.workspace(), *args, **kwargs)

    return wrapper


def reading_workspace(
    owner: bool = False, writes_if: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a command that only reads: pass it the workspace opened read-only (`owner`: as
    `with_owner_workspace`, refusing a session package). `writes_if` names an option that
    makes the command write after all: given, the workspace is opened to write in."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @click.pass_obj
        @functools.wraps(f)
        def wrapper(state: CliState, *args: Any, **kwargs: Any) -> Any:
            writes = writes_if is not None and bool(kwargs.get(writes_if))
            workspace = state.workspace() if writes else state.workspace_to_read()
            return f(_owners(workspace) if owner else workspace, *args, **kwargs)

        return wrapper

    return decorate


screenshot_option = click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the window as a PNG once it is drawn, then quit (to check an install).",
)
