"""The owner's gate (issue 17): with a passphrase set, nothing in the app that changes the study
or other people's work — File › Merge, File › Import, File › Restore from a backup, the Owner
menu's tools — runs before the passphrase is given, once per app session and workspace; with
none set, the Owner menu and the report say so and offer to set one. On the command line each
owner command says, once, on stderr, that it acts as the study owner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from support.builders import FLAWED_CODE, record, write_jsonl
from support.session_study import digest
from support.study_builders import two_evaluator_study
from support.windows import open_main_window

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.cli.main import main
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators, owner
from evalstudio.services.workspace.backups import list_backups, take_backup
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.ui import backup_actions, main_window, owner_gate, session_actions
from evalstudio.ui.assistant_quality_dialog import AssistantQualityDialog
from evalstudio.ui.export_dialog import open_export
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.pair_editor import PairEditor
from evalstudio.ui.report_view import ReportView
from evalstudio.ui.session_actions import MergeResults
from evalstudio.ui.study_setup_dialog import StudySetupDialog
from evalstudio.ui.unplanted_flaws import UnplantedFlawsDialog

PASSPHRASE = "the owner's own passphrase"


class _Asked:
    """The owner's passphrase dialog, answered by the test: each answer in turn, None for
    Cancel; `count` is how often it was shown."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.count = 0

    def getText(self, *args: object, **kwargs: object) -> tuple[str, bool]:
        self.count += 1
        answer = self.answers.pop(0)
        return (answer or "", answer is not None)


def _answer(monkeypatch: pytest.MonkeyPatch, *answers: str | None) -> _Asked:
    asked = _Asked(*answers)
    monkeypatch.setattr(owner_gate, "QInputDialog", asked)
    return asked


@pytest.fixture
def returned(workspace: Workspace, tmp_path: Path) -> Path:
    """The owner's study "S" for Ada and Bob, the passphrase set, and Ada's package back with
    one judgment in it."""
    two_evaluator_study(
        workspace, tmp_path, "S", pairs=2, seed=1, options='conditions = ["unassisted"]\n'
    )
    path = export_package(workspace, "S", "Ada", tmp_path / "ada.evs").path
    laptop = open_workspace(path)
    found = package_of(laptop)
    assert found is not None
    session = ReviewSession(laptop, found.study, found.evaluator)
    first = session.queue[0].item.item_id
    session.submit(first, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 2, 4))
    laptop.close()
    return path


class _Warnings:
    """QMessageBox of the main window: a warning is kept, not shown (it would wait for a
    click)."""

    StandardButton = QMessageBox.StandardButton

    def __init__(self) -> None:
        self.said: list[str] = []

    def warning(self, parent: object, title: str, text: str) -> None:
        self.said.append(text)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> _Warnings:
    found = _Warnings()
    monkeypatch.setattr(main_window, "QMessageBox", found)
    return found


@pytest.fixture
def window(
    qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama, warnings: _Warnings
) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, local_backend, size=(1280, 720)) as win:
        qtbot.waitUntil(lambda: win.start_page.loaded and win.jobs.idle)
        yield win
    assert warnings.said == []


@pytest.fixture
def protected(returned: Path, workspace: Workspace) -> Path:
    owner.set_passphrase(workspace, PASSPHRASE)
    return returned


def _trigger(window: MainWindow, label: str) -> None:
    """Choose the menu entry `label` (without its & marks), as a click would."""
    for top in window.menuBar().actions():
        menu = top.menu()
        for action in menu.actions() if menu is not None else []:
            if action.text().replace("&", "") == label:
                assert action.isEnabled(), label
                action.trigger()
                return
    raise AssertionError(f"no menu entry {label!r}")


def _settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.jobs.idle)
    QApplication.processEvents()


def _shown(kind: type[QWidget]) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def _refused_then_opened(
    qtbot: QtBot,
    window: MainWindow,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    label: str,
) -> str:
    """Choose `label` three times: Cancel, a wrong passphrase (each asked, nothing changed),
    then the right one. Returns the digest of before."""
    _settle(qtbot, window)
    before = digest(workspace)
    for answer in (None, "a wrong guess"):
        asked = _answer(monkeypatch, answer)
        _trigger(window, label)
        _settle(qtbot, window)
        assert asked.count == 1, (label, answer)
        assert digest(workspace) == before, (label, answer)
    asked = _answer(monkeypatch, PASSPHRASE)
    _trigger(window, label)
    _settle(qtbot, window)
    assert asked.count == 1
    return before


class _Files:
    """QFileDialog, answering with the test's files."""

    def __init__(self, *paths: Path) -> None:
        self.paths = [str(p) for p in paths]

    def getOpenFileNames(self, *args: object, **kwargs: object) -> tuple[list[str], str]:
        return self.paths, ""

    def getOpenFileName(self, *args: object, **kwargs: object) -> tuple[str, str]:
        return self.paths[0], ""


def test_file_merge_asks_the_owner_and_a_refusal_merges_nothing(
    qtbot: QtBot,
    protected: Path,
    window: MainWindow,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_actions, "QFileDialog", _Files(protected))
    before = _refused_then_opened(qtbot, window, workspace, monkeypatch, "Merge returned sessions…")
    qtbot.waitUntil(lambda: bool(_shown(MergeResults)))
    (results,) = _shown(MergeResults)
    assert isinstance(results, MergeResults) and "1 file merged." in results.summary.text()
    assert digest(workspace) != before  # Ada's judgment came back
    results.close()


def test_file_import_asks_the_owner_and_a_refusal_imports_nothing(
    qtbot: QtBot,
    protected: Path,
    window: MainWindow,
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks = _more_tasks(tmp_path)
    monkeypatch.setattr(main_window, "QFileDialog", _Files(tasks))
    monkeypatch.setattr(main_window, "QInputDialog", _Named("S"))  # into the owner's study
    before = _refused_then_opened(qtbot, window, workspace, monkeypatch, "Import tasks…")
    assert digest(workspace) != before
    assert studies.list_studies(workspace)[0].items == 6


def _more_tasks(tmp_path: Path) -> Path:
    """One more pair, its ids saying nothing of its twins."""
    twins = [
        record("x1", pair_id="x", truth="correct"),
        record(
            "x2",
            pair_id="x",
            truth="flawed",
            candidate=FLAWED_CODE,
            flaw_description="subtracts",
            flaw_lines=[2, 2],
        ),
    ]
    return write_jsonl(tmp_path / "more.jsonl", twins)


class _Named:
    """The study-name question of File › Import, answered."""

    def __init__(self, name: str) -> None:
        self.name = name

    def getText(self, *args: object, **kwargs: object) -> tuple[str, bool]:
        return self.name, True


def test_restoring_a_backup_asks_the_owner_and_a_refusal_restores_nothing(
    qtbot: QtBot,
    protected: Path,
    window: MainWindow,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _settle(qtbot, window)
    assert list_backups(workspace.path)  # the one taken when the window opened it
    evaluators.add_evaluator(workspace, "Cy")  # work the backup does not hold

    class Pick:  # Restore from a backup: the oldest chosen
        def __init__(self, parent: QWidget, found: list[object]) -> None:
            self.chosen = found[-1]

        def exec(self) -> QDialog.DialogCode:
            return QDialog.DialogCode.Accepted

    class Sure:
        StandardButton = QMessageBox.StandardButton

        @staticmethod
        def question(*args: object) -> QMessageBox.StandardButton:
            return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(backup_actions, "RestoreDialog", Pick)
    monkeypatch.setattr(backup_actions, "QMessageBox", Sure)
    _refused_then_opened(qtbot, window, workspace, monkeypatch, "Restore from a backup…")
    assert "Cy" not in [e.name for e in evaluators.list_evaluators(workspace)]


def test_the_owner_tools_ask_the_passphrase_and_open_nothing_without_it(
    qtbot: QtBot,
    protected: Path,
    window: MainWindow,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("evalstudio.ui.owner_tools.QFileDialog", _Files(protected))
    _settle(qtbot, window)
    before = digest(workspace)
    tools = {
        "New study…": StudySetupDialog,
        "Edit pairs in a task file…": PairEditor,
        "Study report…": ReportView,
        "Unplanted flaws…": UnplantedFlawsDialog,
        "Assistant quality…": AssistantQualityDialog,
    }
    for label, kind in tools.items():
        for answer in (None, "a wrong guess"):
            asked = _answer(monkeypatch, answer)
            _trigger(window, label)
            _settle(qtbot, window)
            assert asked.count == 1 and not _shown(kind), (label, answer)
    assert digest(workspace) == before
    asked = _answer(monkeypatch, PASSPHRASE)
    _trigger(window, "Study report…")
    qtbot.waitUntil(lambda: bool(_shown(ReportView)), timeout=30_000)
    view = window.owner_tools.report_view
    assert view is not None and not view.no_passphrase.isVisible()  # one is set: no notice
    view.close()


def test_one_unlock_opens_every_owner_action_until_the_workspace_changes(
    qtbot: QtBot,
    protected: Path,
    window: MainWindow,
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_actions, "QFileDialog", _Files(protected))
    asked = _answer(monkeypatch, PASSPHRASE)
    _trigger(window, "Merge returned sessions…")
    qtbot.waitUntil(lambda: bool(_shown(MergeResults)))
    for results in _shown(MergeResults):
        results.close()
    tasks = _more_tasks(tmp_path)
    monkeypatch.setattr(main_window, "QFileDialog", _Files(tasks))
    monkeypatch.setattr(main_window, "QInputDialog", _Named("S"))
    _trigger(window, "Import tasks…")
    _settle(qtbot, window)
    assert asked.count == 1  # asked once, for the merge
    dialog = open_export(window, window.context, window.current_study())
    assert dialog.truth.isEnabled()  # the answer key too, without asking again
    dialog.close()
    assert window._switch_workspace(workspace.path)  # File › Open: the same file, opened again
    _settle(qtbot, window)  # it opens on the data lane
    asked = _answer(monkeypatch, None)
    _trigger(window, "Import tasks…")
    _settle(qtbot, window)
    assert asked.count == 1


def test_exports_with_the_truth_wait_for_the_passphrase(
    qtbot: QtBot,
    protected: Path,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_export(window, window.context, window.current_study())
    _settle(qtbot, window)
    assert not dialog.truth.isEnabled()
    for answer in (None, "a wrong guess"):
        asked = _answer(monkeypatch, answer)
        dialog.unlock.click()
        _settle(qtbot, window)
        assert asked.count == 1 and not dialog.truth.isEnabled()
    _answer(monkeypatch, PASSPHRASE)
    dialog.unlock.click()
    _settle(qtbot, window)
    assert dialog.truth.isEnabled()
    dialog.close()


def test_a_session_package_offers_no_truth_to_export(
    qtbot: QtBot, returned: Path, local_backend: LocalLlama, warnings: _Warnings
) -> None:
    laptop = open_workspace(returned)
    with open_main_window(qtbot, laptop, local_backend, package=package_of(laptop)) as win:
        qtbot.waitUntil(lambda: win.review is not None and win.jobs.idle)
        dialog = open_export(win, win.context, win.current_study())
        dialog.unlock.click()  # what a package's missing passphrase would open at once
        _settle(qtbot, win)
        assert not dialog.unlock.isVisible() and not dialog.truth.isEnabled()
        dialog.close()
    laptop.close()
    assert warnings.said == []


def _set_in_dialog(qtbot: QtBot, new: str, again: str) -> owner_gate.PassphraseDialog:
    """Type into the open dialog that sets the passphrase."""
    qtbot.waitUntil(lambda: bool(_shown(owner_gate.PassphraseDialog)))
    (dialog,) = _shown(owner_gate.PassphraseDialog)
    assert isinstance(dialog, owner_gate.PassphraseDialog)
    dialog.new.setText(new)
    dialog.again.setText(again)
    return dialog


def test_with_no_passphrase_the_owner_menu_says_so_and_sets_one(
    qtbot: QtBot,
    returned: Path,
    window: MainWindow,
    workspace: Workspace,
) -> None:
    tools = window.owner_tools
    window.owner_menu.aboutToShow.emit()
    _settle(qtbot, window)
    notice = tools.notice
    assert notice.isVisible() and "No owner passphrase" in notice.text()
    assert "anyone" in notice.toolTip()
    notice.trigger()
    dialog = _set_in_dialog(qtbot, "short", "short")
    assert not dialog.ok.isEnabled() and "at least 8" in dialog.problem.text()
    dialog.again.setText("different")
    assert not dialog.ok.isEnabled()
    _set_in_dialog(qtbot, PASSPHRASE, PASSPHRASE)
    assert dialog.ok.isEnabled()
    dialog.ok.click()
    _settle(qtbot, window)
    assert owner.is_protected(workspace) and owner.unlock(workspace, PASSPHRASE)
    window.owner_menu.aboutToShow.emit()
    _settle(qtbot, window)
    assert not notice.isVisible()
    assert tools.passphrase_action.text().replace("&", "") == "Change the owner's passphrase…"


def test_with_no_passphrase_the_report_says_so_and_sets_one(
    qtbot: QtBot,
    returned: Path,
    window: MainWindow,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _answer(monkeypatch)  # none set: nothing may be asked
    _trigger(window, "Study report…")
    qtbot.waitUntil(lambda: bool(_shown(ReportView)), timeout=30_000)
    view = window.owner_tools.report_view
    assert view is not None and asked.count == 0
    assert view.no_passphrase.isVisible()
    assert "No owner passphrase" in view.no_passphrase_text.text()
    assert "twin" in view.no_passphrase_text.text()
    view.set_passphrase.click()
    _set_in_dialog(qtbot, PASSPHRASE, PASSPHRASE).ok.click()
    _settle(qtbot, window)
    assert owner.unlock(workspace, PASSPHRASE) and owner.is_protected(workspace)
    assert not view.no_passphrase.isVisible()
    view.close()


# -- the command line ---------------------------------------------------------------------------

NOTICE = "Acting as the study owner"


@pytest.fixture
def cli_workspace(returned: Path, workspace: Workspace, tmp_path: Path) -> Path:
    take_backup(workspace.path, "manual")
    time.sleep(0.01)
    workspace.close()
    return workspace.path


def _owner_commands(tmp_path: Path, package: Path) -> dict[str, list[str]]:
    tasks = _more_tasks(tmp_path)
    out = str(tmp_path / "out")
    return {
        "import": ["import", str(tasks), "--study", "S"],
        "merge": ["merge", str(package)],
        "study show": ["study", "show", "S"],
        "report": ["report", "--study", "S", "--json", out + ".json"],
        "flaws list": ["flaws", "list", "--study", "S"],
        "export --with-truth": [
            "export", out + ".jsonl", "--study", "S", "--format", "judgments-jsonl",
            "--with-truth",
        ],
        "session export": ["session", "export", "--study", "S", "--evaluator", "Bob",
                           str(tmp_path / "bob.evs")],
        "backup restore": ["backup", "restore", "--latest"],
        "owner passphrase": ["owner", "passphrase"],
    }  # fmt: skip


def test_each_owner_command_says_once_that_it_acts_as_the_owner(
    cli_workspace: Path, returned: Path, tmp_path: Path
) -> None:
    for name, args in _owner_commands(tmp_path, returned).items():
        typed = f"{PASSPHRASE}\n{PASSPHRASE}\n"  # what `owner passphrase` asks
        result = CliRunner().invoke(main, ["--db", str(cli_workspace), *args], input=typed)
        assert result.exit_code == 0, (name, result.output)
        assert result.stderr.count(NOTICE) == 1, (name, result.stderr)
        assert NOTICE not in result.stdout, name
        assert "passphrase" in result.stderr, name  # and that the command line asks none


def test_an_evaluators_commands_say_nothing_of_the_owner(
    cli_workspace: Path, tmp_path: Path
) -> None:
    own = ["export", str(tmp_path / "mine.jsonl"), "--study", "S", "--format", "judgments-jsonl"]
    for args in (["studies"], own, ["backup", "list"], ["backup", "now"]):
        result = CliRunner().invoke(main, ["--db", str(cli_workspace), *args])
        assert result.exit_code == 0, (args, result.output)
        assert NOTICE not in result.output, args
