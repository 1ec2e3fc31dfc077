"""The `evalstudio` command through click's CliRunner: version, help, import, studies, --db."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.builders import pair, record, write_jsonl

from evalstudio import __version__
from evalstudio.cli.main import main
from evalstudio.services.workspace.opening import default_workspace_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"evalstudio, version {__version__}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "--db"),
        (["import"], "--skip-invalid"),
        (["import"], "docs/task-format.md"),
        (["studies"], "counts"),
        (["app"], "--study"),
    ],
)
def test_every_command_has_useful_help(runner: CliRunner, args: list[str], expected: str) -> None:
    result = runner.invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert expected in result.output


def test_import_then_studies_lists_the_counts(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "ws.sqlite"
    path = write_jsonl(tmp_path / "t.jsonl", [*pair("p"), record("solo", prompt="Other")])
    result = runner.invoke(main, ["--db", str(db), "import", str(path), "--study", "Bugs"])
    assert result.exit_code == 0, result.output
    assert "Imported 3 items (2 new tasks, 1 pair) into 'Bugs'." in result.output
    listing = runner.invoke(main, ["--db", str(db), "studies"])
    assert listing.exit_code == 0
    header, row = listing.output.splitlines()
    assert header.split() == ["study", "items", "code", "text", "pairs", "judgments"]
    assert row.split() == ["Bugs", "3", "3", "0", "1", "0"]


def test_a_bad_import_lists_each_row_and_exits_non_zero(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "ws.sqlite"
    path = write_jsonl(tmp_path / "t.jsonl", [record("a"), record("b", kind="x"), "{oops"])
    result = runner.invoke(main, ["--db", str(db), "import", str(path), "--study", "S"])
    assert result.exit_code == 1
    assert f"{path}:2: field 'kind': unknown value 'x'" in result.output
    assert f"{path}:3: not valid JSON" in result.output
    assert "Error: nothing imported" in result.output
    assert "Traceback" not in result.output
    assert "No studies" in runner.invoke(main, ["--db", str(db), "studies"]).output


def test_skip_invalid_reports_the_skipped_rows(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "ws.sqlite"
    path = write_jsonl(tmp_path / "t.jsonl", [record("a"), record("b", kind="x")])
    args = ["--db", str(db), "import", str(path), "--study", "S", "--skip-invalid"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0
    assert "Imported 1 item " in result.output and "skipped 1 bad row." in result.output


def test_the_workspace_comes_from_db_then_env_then_user_data_dir(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record("a")])
    runner.invoke(main, ["import", str(path), "--study", "Default"])
    assert default_workspace_path().is_file()
    assert str(default_workspace_path()).startswith(str(Path.home()))
    env_db = tmp_path / "env.sqlite"
    monkeypatch.setenv("EVALSTUDIO_DB", str(env_db))
    runner.invoke(main, ["import", str(path), "--study", "FromEnv"])
    assert "FromEnv" in runner.invoke(main, ["studies"]).output
    assert "Default" not in runner.invoke(main, ["studies"]).output
    flag_db = tmp_path / "flag.sqlite"
    assert "No studies" in runner.invoke(main, ["--db", str(flag_db), "studies"]).output


def test_a_newer_workspace_is_a_message_not_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "ws.sqlite"
    assert runner.invoke(main, ["--db", str(db), "studies"]).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('evalstudio', 'm900_later', 'x')"
        )
    result = runner.invoke(main, ["--db", str(db), "studies"])
    assert result.exit_code == 1
    assert "newer EvalStudio" in result.output and "Traceback" not in result.output


def test_the_app_without_a_display_says_how_to_run_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    result = runner.invoke(main, ["--db", str(tmp_path / "ws.sqlite")])
    assert result.exit_code == 2
    assert "No display" in result.output and "xvfb-run" in result.output
