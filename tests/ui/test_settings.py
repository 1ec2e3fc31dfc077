"""What the app remembers (QSettings) and the settings dialog's checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from evalstudio.ui.app_settings import AppSettings, ModelOptions
from evalstudio.ui.settings_dialog import SettingsDialog
from evalstudio.ui.shortcuts import conflicts, keys_of


@pytest.fixture
def settings(qtbot: QtBot) -> Iterator[AppSettings]:
    QSettings("EvalStudio", "EvalStudio").clear()
    yield AppSettings()
    QSettings("EvalStudio", "EvalStudio").clear()


def test_recent_studies_are_newest_first_without_repeats(settings: AppSettings) -> None:
    for name in ("A", "B", "A", "C"):
        settings.add_recent_study(Path("/w.sqlite"), name)
    assert settings.recent_studies() == [("/w.sqlite", "C"), ("/w.sqlite", "A"), ("/w.sqlite", "B")]


def test_model_options_survive_a_restart_and_hand_edited_junk_reads_as_default(
    settings: AppSettings,
) -> None:
    options = ModelOptions(threads=2, context=2048, server_url="", max_tokens=99, kv_cache="f16")
    settings.set_model_options(options)
    assert AppSettings().model_options() == options
    QSettings("EvalStudio", "EvalStudio").setValue("model/context", "lots")
    assert AppSettings().model_options().context == 4096
    local = AppSettings().model_options().model_settings().local
    assert local is not None and local.kv_cache == "f16" and local.n_threads == 2


def test_the_dialog_refuses_a_missing_model_file_and_clashing_keys(
    qtbot: QtBot, settings: AppSettings, tmp_path: Path
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = SettingsDialog(parent, ModelOptions(model_path=str(tmp_path / "gone.gguf")), {})
    dialog.key_edits["next_item"].setKeySequence("C")
    problems = dialog.problems()
    assert problems[0] == f"Model file not found: {tmp_path / 'gone.gguf'}"
    assert "C is used by both 'Next item' and 'Ask for a critique'" in problems
    assert dialog.shortcut_overrides() == {"next_item": "C"}


def test_the_default_keys_do_not_clash() -> None:
    assert conflicts({}) == []
    assert keys_of("submit", {}) == ["Ctrl+Return", "Ctrl+Enter"]
