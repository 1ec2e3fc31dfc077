"""Shared fixtures: every test gets its own HOME and workspace; Qt runs offscreen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from evalstudio.assist.local_llama import LocalLlama, LocalSettings
from evalstudio.core.model import Study
from evalstudio.services import studies
from evalstudio.services.assistance import Assistant
from evalstudio.services.backends import ModelSettings
from evalstudio.services.resources import bundled_model
from evalstudio.services.workspace import Workspace, open_workspace


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point HOME and the XDG dirs at a temp folder so no test touches the user's data."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("EVALSTUDIO_DB", raising=False)
    return home


@pytest.fixture
def workspace_path(tmp_path: Path) -> Path:
    return tmp_path / "workspace.sqlite"


@pytest.fixture
def workspace(workspace_path: Path) -> Iterator[Workspace]:
    ws = open_workspace(workspace_path)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def local_backend() -> Iterator[LocalLlama]:
    """The bundled model, loaded once for the whole session (real inference, no mocks)."""
    backend = LocalLlama(LocalSettings(bundled_model(), n_ctx=4096, n_threads=2, n_threads_batch=2))
    backend.info()
    yield backend
    backend.close()


@pytest.fixture
def assistant(workspace: Workspace, local_backend: LocalLlama) -> Iterator[Assistant]:
    """An Assistant on the shared model; short answers keep the suite fast."""
    helper = Assistant(workspace, local_backend, ModelSettings(max_tokens=40))
    yield helper
    helper.stop_warming()


@pytest.fixture
def demo_study(workspace: Workspace) -> Study:
    return studies.ensure_demo_study(workspace)
