"""`evalstudio study validate|create|show` through click's CliRunner."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from evalstudio.cli.main import main
from evalstudio.services.workspace.resources import demo_dir

DEFINITION = """
name = "Trial"
tasks = "tasks.jsonl"
seed = 7
evaluators = ["Ada", "Grace"]
conditions = ["unassisted", "assisted", "misleading"]
"""


def _file(folder: Path, text: str = DEFINITION) -> Path:
    shutil.copy(demo_dir() / "tasks.jsonl", folder / "tasks.jsonl")
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_then_create_then_show(tmp_path: Path) -> None:
    runner, db = CliRunner(), str(tmp_path / "w.sqlite")
    path = str(_file(tmp_path))
    checked = runner.invoke(main, ["--db", db, "study", "validate", path])
    assert checked.exit_code == 0, checked.output
    assert "valid" in checked.output and "Ada: 20 items" in checked.output
    # The 1.5× target of the default 27% is 40.5%: with its decimal, in both power lines.
    assert "27% → 40.5% with" in checked.output and "27% → 40.5% detected in" in checked.output
    assert "Trial" not in runner.invoke(main, ["--db", db, "studies"]).output
    created = runner.invoke(main, ["--db", db, "study", "create", path])
    assert created.exit_code == 0 and "Created study 'Trial'" in created.output
    shown = runner.invoke(main, ["--db", db, "study", "show", "Trial"])
    assert shown.exit_code == 0
    assert "Conditions: unassisted, assisted, misleading (misleading p = 0.3)" in shown.output
    assert "with 80% power" in shown.output


def test_a_bad_file_is_an_error_message_with_its_key_not_a_traceback(tmp_path: Path) -> None:
    path = _file(tmp_path, DEFINITION.replace("seed = 7", "seed = true"))
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "w.sqlite"), "study", "create", str(path)]
    )
    assert result.exit_code != 0
    assert "seed: must be text" in result.output and "Traceback" not in result.output


def test_simulate_reports_the_power_of_a_planned_design() -> None:
    result = CliRunner().invoke(
        main, ["simulate", "--evaluators", "12", "--pairs", "40", "--studies", "100"]
    )
    assert result.exit_code == 0, result.output
    assert "12 evaluators × 40 pairs, 27% → 45%: power" in result.output
