"""Study setup in the app: the owner fills the form, checks the plan, saves study.toml and
creates the study; the owner's tools ask for the passphrase when one is set."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QWidget
from pytestqt.qtbot import QtBot

from evalstudio.services.studies import studies
from evalstudio.services.workspace import owner
from evalstudio.services.workspace.opening import Workspace
from evalstudio.services.workspace.resources import demo_dir
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.owner_gate import OwnerGate
from evalstudio.ui.study_setup_dialog import StudySetupDialog


@pytest.fixture
def dialog(parent: QWidget, workspace: Workspace, jobs: Jobs, tmp_path: Path) -> StudySetupDialog:
    shutil.copy(demo_dir() / "tasks.jsonl", tmp_path / "tasks.jsonl")
    found = StudySetupDialog(parent, workspace, jobs)
    found.name.setText("Pilot")
    found.tasks.setText(str(tmp_path / "tasks.jsonl"))
    found.evaluators.setPlainText("Ada\nGrace\n\nLinus\n")
    return found


def test_check_shows_the_plan_power_and_pair_checks_and_writes_nothing(
    qtbot: QtBot, dialog: StudySetupDialog, workspace: Workspace
) -> None:
    dialog.check()
    qtbot.waitUntil(lambda: bool(dialog.report.toPlainText()), timeout=30_000)
    report = dialog.report.toPlainText()
    assert "Ada: 20 items" in report and "Linus: 20 items" in report
    assert "14 verified, 0 unverified, 0 broken" in report and "80% power" in report
    assert studies.list_studies(workspace) == []


def test_the_form_s_problems_are_named_before_anything_runs(dialog: StudySetupDialog) -> None:
    dialog.evaluators.setPlainText("Ada\nAda\n")
    for box in dialog.kinds.values():
        box.setChecked(False)
    dialog.check()
    assert "listed twice: Ada" in dialog.problem.text()
    assert "assist_kinds" in dialog.problem.text()


def test_save_writes_a_definition_the_cli_reads_and_create_makes_the_study(
    qtbot: QtBot, dialog: StudySetupDialog, workspace: Workspace, tmp_path: Path
) -> None:
    dialog.commit_first.setChecked(True)
    path = dialog.save_to(tmp_path / "study.toml")
    assert path is not None
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert saved["tasks"] == "tasks.jsonl"  # relative: the folder can move
    assert saved["evaluators"] == ["Ada", "Grace", "Linus"]
    assert saved["commit_before_reveal"] is True
    with qtbot.waitSignal(dialog.created, timeout=30_000) as created:
        dialog.create_from(path)
    assert created.args == ["Pilot"]
    assert studies.study_named(workspace, "Pilot").commit_before_reveal


def test_the_owner_gate_asks_for_the_passphrase_once(
    qtbot: QtBot, workspace: Workspace, jobs: Jobs, parent: QWidget
) -> None:
    owner.set_passphrase(workspace, "open sesame")
    problems: list[str] = []
    gate = OwnerGate(jobs, workspace, problems.append)
    opened: list[int] = []

    def answer(text: str) -> None:
        def type_it() -> None:
            (asked,) = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QInputDialog) and w.isVisible()
            ]
            asked.setTextValue(text)
            asked.accept()

        QTimer.singleShot(50, type_it)

    answer("guess")
    gate.then(parent, lambda: opened.append(1))
    qtbot.waitUntil(lambda: bool(problems))
    assert opened == [] and "not the owner's passphrase" in problems[0]
    answer("open sesame")
    gate.then(parent, lambda: opened.append(2))
    qtbot.waitUntil(lambda: opened == [2])
    gate.then(parent, lambda: opened.append(3))  # open now: no question
    assert opened == [2, 3] and gate.passphrase == "open sesame"
