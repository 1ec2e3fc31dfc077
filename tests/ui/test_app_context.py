"""The app's context switching workspaces: the lock is taken first, the file opens on the data
lane, then the listeners follow; a refused lock or a file that fails to open changes nothing."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from evalstudio.assist.backend import ModelInfo
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.workspace.lock import WorkspaceLock
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.ui import app_context
from evalstudio.ui.app_context import AppContext


class _NoModel:
    """A model that is loaded at once and never asked: nothing here generates."""

    def info(self) -> ModelInfo:
        return ModelInfo("stub", "stub-model", None, 4096)


class _Told:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.errors: list[BaseException] = []


@pytest.fixture
def told() -> _Told:
    return _Told()


@pytest.fixture
def context(qtbot: QtBot, workspace: Workspace, told: _Told) -> Iterator[AppContext]:
    """The context of an app on `workspace`, holding its lock, the model loaded."""
    QSettings("EvalStudio", "EvalStudio").clear()
    lock = WorkspaceLock()
    assert lock.take(workspace.path) is None
    found = AppContext(
        workspace,
        show_message=told.messages.append,
        show_error=told.errors.append,
        lock=lock,
        backend=cast(Any, _NoModel()),
    )
    found.host.load()
    qtbot.waitUntil(lambda: found.host.ready)
    yield found
    found.close()


def _held(path: Path) -> bool:
    """Whether some lock holds `path` (a probe takes it, and lets go at once)."""
    probe = WorkspaceLock("probe")
    refused = probe.take(path) is not None
    probe.release()
    return refused


class _Events:
    """What the context said, in order."""

    def __init__(self, context: AppContext) -> None:
        self.seen: list[str] = []
        context.workspace_closing.connect(lambda: self.seen.append("closing"))
        context.workspace_changed.connect(lambda: self.seen.append("changed"))


def _assistant_workspace(qtbot: QtBot, context: AppContext) -> Workspace:
    """The workspace the model's assistant reads and logs in."""
    found: list[Workspace] = []

    def work(assistant: Assistant) -> Workspace:
        return assistant.workspace

    qtbot.waitUntil(lambda: context.host.ready)
    assert context.host.run_with_assistant(work, found.append, pytest.fail)
    qtbot.waitUntil(lambda: bool(found))
    return found[0]


def test_a_switch_locks_first_opens_on_the_data_lane_then_the_listeners_follow(
    qtbot: QtBot,
    context: AppContext,
    workspace: Workspace,
    tmp_path: Path,
    told: _Told,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = tmp_path / "other.sqlite"
    opening: list[tuple[bool, str]] = []

    def open_and_look(path: Path) -> Workspace:
        opening.append((_held(path), threading.current_thread().name))
        return open_workspace(path)

    monkeypatch.setattr(app_context, "open_workspace", open_and_look)
    events = _Events(context)
    context.gate.unlocked = True  # the owner's tools were open on the old workspace
    done: list[Path] = []
    assert context.switch(other, done=lambda: done.append(context.workspace.path))
    assert context.workspace is workspace and context.switching == other  # not open yet
    qtbot.waitUntil(lambda: bool(done))
    ((locked, thread),) = opening
    assert locked and thread.startswith("evalstudio-data")  # the lock first, then the open
    assert done == [other] and events.seen == ["closing", "changed"]
    assert context.switching is None and context.package is None
    new = context.workspace
    assert context.host.workspace is new and context.gate.workspace is new
    assert not context.gate.unlocked  # asked again on the new workspace
    assert _assistant_workspace(qtbot, context) is new
    assert _held(other) and not _held(workspace.path)  # the lock moved along
    assert told.errors == []


def test_a_workspace_another_app_holds_is_refused_and_nothing_changes(
    qtbot: QtBot, context: AppContext, workspace: Workspace, tmp_path: Path, told: _Told
) -> None:
    other = tmp_path / "other.sqlite"
    elsewhere = WorkspaceLock()  # the other app
    assert elsewhere.take(other) is None
    events = _Events(context)
    context.gate.unlocked = True
    assert not context.switch(other)
    (refused,) = told.errors  # said as today: who holds it
    assert f"{other} is open in another EvalStudio window (process {os.getpid()})" in str(refused)
    assert not other.exists()  # not opened, let alone migrated
    assert context.workspace is workspace and context.lock is not None
    assert context.host.workspace is workspace and context.gate.unlocked
    assert context.switching is None and events.seen == []
    assert _held(workspace.path)
    elsewhere.release()


def test_a_file_that_fails_to_open_keeps_the_workspace_and_its_lock(
    qtbot: QtBot, context: AppContext, workspace: Workspace, tmp_path: Path, told: _Told
) -> None:
    notes = tmp_path / "notes.sqlite"
    notes.write_text("not a database\n")
    events = _Events(context)
    assert context.switch(notes)
    qtbot.waitUntil(lambda: bool(told.errors))
    assert "not an SQLite database" in str(told.errors[0])
    assert notes.read_text() == "not a database\n"
    assert context.workspace is workspace and context.switching is None
    assert events.seen == [] and context.host.workspace is workspace
    assert _held(workspace.path) and not _held(notes)  # its lock let go, ours kept
    assert _assistant_workspace(qtbot, context) is workspace


def test_the_same_file_opened_again_keeps_its_lock(
    qtbot: QtBot, context: AppContext, workspace: Workspace, told: _Told
) -> None:
    lock = context.lock
    done: list[bool] = []
    assert context.switch(workspace.path, done=lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done))
    assert context.workspace is not workspace and context.workspace.path == workspace.path
    assert context.lock is lock and _held(workspace.path) and told.errors == []


def test_one_switch_at_a_time(
    qtbot: QtBot, context: AppContext, tmp_path: Path, told: _Told
) -> None:
    done: list[bool] = []
    assert context.switch(tmp_path / "a.sqlite", done=lambda: done.append(True))
    assert not context.switch(tmp_path / "b.sqlite")
    assert told.messages == ["Still opening a.sqlite…"]
    qtbot.waitUntil(lambda: bool(done))
    assert context.workspace.path == tmp_path / "a.sqlite" and not _held(tmp_path / "b.sqlite")
