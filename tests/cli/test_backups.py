"""Backups of the workspace: taken, listed, thinned, restored (what a restore replaces is kept),
before a schema upgrade and before a merge; the CLI and the app's restore dialog."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from pytestqt.qtbot import QtBot
from sqlite_utils import Database
from support.study_builders import two_evaluator_study

from evalstudio.cli.main import main
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.workspace.backups import (
    backups_dir,
    list_backups,
    restore_backup,
    take_backup,
)
from evalstudio.services.workspace.lock import WorkspaceLock
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.store.migrations import migrations
from evalstudio.ui.backup_actions import RestoreDialog


def _studies(path: Path) -> list[str]:
    db = Database(path)
    names = [r["name"] for r in db.query("SELECT name FROM studies ORDER BY name")]
    db.close()
    return names


def test_a_backup_is_a_whole_copy_listed_newest_first(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "A", pairs=2, seed=1, options="")
    first = take_backup(workspace_path, "open")
    (tmp_path / "b").mkdir()
    two_evaluator_study(workspace, tmp_path / "b", "B", pairs=2, seed=1, options="")
    second = take_backup(workspace_path, "periodic")
    assert first is not None and second is not None
    assert [b.path for b in list_backups(workspace_path)] == [second.path, first.path]
    assert _studies(first.path) == ["A"] and _studies(second.path) == ["A", "B"]
    assert first.path.parent == backups_dir(workspace_path)
    assert not workspace_path.parent.joinpath(first.path.name).exists()  # not beside it


def test_a_restore_brings_the_backup_back_and_keeps_what_it_replaced(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "A", pairs=2, seed=1, options="")
    backup = take_backup(workspace_path, "manual")
    assert backup is not None
    (tmp_path / "b").mkdir()
    two_evaluator_study(workspace, tmp_path / "b", "B", pairs=2, seed=1, options="")
    workspace.close()
    before = restore_backup(workspace_path, backup)
    assert _studies(workspace_path) == ["A"]
    assert before is not None and before.reason == "before-restore"
    assert _studies(before.path) == ["A", "B"]  # nothing lost: the replaced state is a backup
    again = open_workspace(workspace_path)
    assert again.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again.close()


def test_a_workspace_is_backed_up_before_its_schema_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = Database(path)
    migrations.apply(old, stop_before="m008_flaw_reviews")
    old.close()
    opened = open_workspace(path)
    opened.close()
    (backup,) = list_backups(path)
    assert backup.reason == "before-migration"
    tables = Database(backup.path).table_names()
    assert "judgments" in tables and "flaw_reviews" not in tables  # the schema it had
    open_workspace(path).close()  # up to date now: no second backup
    assert len(list_backups(path)) == 1


def test_a_workspace_is_backed_up_before_a_merge(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "A", pairs=2, seed=1, options="")
    workspace.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "laptop.sqlite"
    shutil.copyfile(workspace_path, copy)
    merge_file(workspace, copy)
    assert [b.reason for b in list_backups(workspace_path)] == ["before-merge"]


def test_the_cli_takes_lists_and_restores_and_waits_for_the_app_to_close(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "A", pairs=2, seed=1, options="")
    db = ["--db", str(workspace_path)]
    taken = CliRunner().invoke(main, [*db, "backup", "now"])
    assert taken.exit_code == 0 and "Backed up:" in taken.output
    listed = CliRunner().invoke(main, [*db, "backup", "list"])
    (line,) = listed.stdout.splitlines()
    assert line.endswith("MB\tnewest good") and "\tmanual\t" in line
    app = WorkspaceLock()
    assert app.take(workspace_path) is None  # the app has the workspace open
    refused = CliRunner().invoke(main, [*db, "backup", "restore", "--latest"])
    assert refused.exit_code != 0 and "open in another EvalStudio window" in refused.output
    app.release()
    workspace.close()
    restored = CliRunner().invoke(main, [*db, "backup", "restore", line.split("\t")[0]])
    assert restored.exit_code == 0, restored.output
    assert "What it replaced is kept as" in restored.output
    unknown = CliRunner().invoke(main, [*db, "backup", "restore", "nope"])
    assert unknown.exit_code != 0 and "no backup named 'nope'" in unknown.output


def test_the_restore_dialog_lists_the_backups_and_gives_the_chosen_one(
    qtbot: QtBot, workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "A", pairs=2, seed=1, options="")
    take_backup(workspace_path, "open")
    take_backup(workspace_path, "before-merge")
    backups = list_backups(workspace_path)
    dialog = RestoreDialog(None, backups)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 2 and "before merge" in dialog.list.item(0).text()
    dialog.list.setCurrentRow(1)
    dialog._accept()
    assert dialog.chosen == backups[1]
    empty = RestoreDialog(None, [])  # type: ignore[arg-type]
    qtbot.addWidget(empty)
    assert not empty.restore_button.isEnabled() and "No backups" in empty.note.text()
