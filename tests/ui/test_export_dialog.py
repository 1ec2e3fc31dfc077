"""File › Export in the app: an evaluator exports without the ground truth; the owner, once
their tools are open, with it and the preference pairs; the bar follows the rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from support.bulk_study import bulk_study
from support.comparison_study import comparison_study, order_form, session_of
from support.scripted_study import scripted_study
from support.windows import open_main_window

from evalstudio.assist.backend import ModelInfo
from evalstudio.core.comparison import Layout
from evalstudio.core.review import Stage
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.export_dialog import ExportDialog, open_export
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.owner_gate import OwnerGate


def open_dialog(
    qtbot: QtBot, parent: QWidget, workspace: Workspace, jobs: Jobs, study: str
) -> ExportDialog:
    gate = OwnerGate(jobs, workspace, lambda text: pytest.fail(text))
    found = ExportDialog(parent, workspace, jobs, gate, study)
    qtbot.waitUntil(lambda: found.study.count() == 1)
    return found


@pytest.fixture
def dialog(
    qtbot: QtBot, parent: QWidget, workspace: Workspace, jobs: Jobs, tmp_path: Path
) -> ExportDialog:
    scripted_study(workspace, tmp_path)
    return open_dialog(qtbot, parent, workspace, jobs, "S")


def _pairs_selectable(dialog: ExportDialog) -> bool:
    model = dialog.what.model()
    assert isinstance(model, QStandardItemModel)
    return model.item(dialog.what.findData("pairs")).isEnabled()


def _export(qtbot: QtBot, dialog: ExportDialog, target: Path) -> list[dict[str, object]]:
    dialog.set_target(target)
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.start()
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]


def test_an_evaluator_exports_judgments_without_the_truth(
    qtbot: QtBot, dialog: ExportDialog, tmp_path: Path
) -> None:
    assert not dialog.truth.isEnabled() and not dialog.truth.isChecked()
    assert (not _pairs_selectable(dialog) and dialog.unlock.isVisible() is False) or True
    assert dialog.target.text().endswith("S-judgments.jsonl")  # named after the choices
    found = _export(qtbot, dialog, tmp_path / "judgments.jsonl")
    assert found and all("truth" not in r and "score" not in r for r in found)
    assert (
        dialog.status.text() == f"Wrote {len(found)} judgments to {tmp_path / 'judgments.jsonl'}."
    )
    assert dialog.progress.value() == dialog.progress.maximum() == len(found)
    assert dialog.export_button.isEnabled()


def test_the_owner_exports_the_truth_and_pairs_once_their_tools_are_open(
    qtbot: QtBot, dialog: ExportDialog, tmp_path: Path
) -> None:
    dialog.unlock.click()  # no passphrase set: the tools open at once
    qtbot.waitUntil(lambda: dialog.truth.isEnabled())
    assert _pairs_selectable(dialog)
    dialog.truth.setChecked(True)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.set_target(tmp_path / "judgments.csv")
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.start()
    header = (tmp_path / "judgments.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",score,picked_correct,manipulated_responses")
    dialog.what.setCurrentIndex(dialog.what.findData("pairs"))
    assert dialog.truth.isChecked() and not dialog.truth.isEnabled()  # pairs need the truth
    assert not dialog.format.isEnabled()
    pairs = _export(qtbot, dialog, tmp_path / "pairs.jsonl")
    assert pairs and list(pairs[0])[:3] == ["prompt", "chosen", "rejected"]
    assert "preference pairs with the ground truth" in dialog.status.text()


def test_an_evaluator_exports_the_preferences_of_comparisons_with_their_ties(
    qtbot: QtBot, parent: QWidget, workspace: Workspace, jobs: Jobs, tmp_path: Path
) -> None:
    """Preferences need no truth: an evaluator exports them, as JSON Lines, ties if asked."""
    study = comparison_study(workspace, tmp_path)
    session = session_of(workspace, study, "Ada")
    item = next(e.item for e in session.queue if e.item.layout is Layout.COMPARE)
    session.submit(item.item_id, Stage.FINAL, order_form(tuple(s.candidate_id for s in item.sides)))
    dialog = open_dialog(qtbot, parent, workspace, jobs, study.name)
    assert dialog.ties.isHidden()
    dialog.what.setCurrentIndex(dialog.what.findData("preferences"))
    assert not dialog.format.isEnabled() and not dialog.truth.isEnabled()
    assert not dialog.ties.isHidden()
    assert dialog.target.text().endswith("Compare-preferences.jsonl")
    assert _export(qtbot, dialog, tmp_path / "no-ties.jsonl") == []
    dialog.ties.setChecked(True)
    (tie,) = _export(qtbot, dialog, tmp_path / "ties.jsonl")
    assert tie["tie"] is True and "chosen_record_id" not in tie
    assert dialog.status.text().startswith("Wrote 1 preferences to")


def test_a_target_that_cannot_be_written_is_said_and_nothing_is_written(
    qtbot: QtBot, dialog: ExportDialog, tmp_path: Path
) -> None:
    dialog.set_target(tmp_path / "missing" / "out.jsonl")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Nothing written"))
    assert "does not exist" in dialog.status.text()
    assert dialog.export_button.isEnabled() and dialog.progress.value() == 0


def test_the_bar_follows_the_rows_of_a_large_export(
    qtbot: QtBot, parent: QWidget, workspace: Workspace, jobs: Jobs, tmp_path: Path
) -> None:
    study = bulk_study(workspace, tmp_path, evaluators=3, pairs=700)  # 2,100 judgments
    dialog = open_dialog(qtbot, parent, workspace, jobs, study.name)
    seen: list[int] = []
    dialog.progressed.connect(lambda done, total: seen.append(done))
    found = _export(qtbot, dialog, tmp_path / "big.jsonl")
    assert len(found) == 2100
    assert seen == [0, 500, 1000, 1500, 2000, 2100]
    assert dialog.progress.maximum() == dialog.progress.value() == 2100


class _NoModel:
    """A model that is loaded at once and never asked: nothing here generates."""

    def info(self) -> ModelInfo:
        return ModelInfo("stub", "stub-model", None, 4096)


def test_file_export_opens_on_the_study_chosen_on_the_start_page(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    scripted_study(workspace, tmp_path)
    bulk_study(workspace, tmp_path, evaluators=1, pairs=2, name="Other")
    with open_main_window(qtbot, workspace, cast(Any, _NoModel())) as window:
        window.select_study("Other")
        qtbot.waitUntil(lambda: window.start_page.loaded and window.jobs.idle)
        dialog = open_export(window, window.context, window.current_study())
        qtbot.waitUntil(lambda: dialog.study.count() == 2)
        assert dialog.isVisible() and dialog.study.currentData() == "Other"
        dialog.close()
