"""`evalstudio pair verify` on task files, and pair checks shown by `study show`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from support.builders import pair, write_jsonl

from evalstudio.cli.main import main
from evalstudio.services.workspace.resources import demo_dir

TEST = "def test_adds():\n    assert add(2, 3) == 5\n"


def test_every_demo_pair_is_verified_by_its_test(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["pair", "verify", str(demo_dir() / "tasks.jsonl")])
    assert result.exit_code == 0, result.output
    assert "14 of 14 pairs verified." in result.output


def test_a_test_that_misses_the_flaw_makes_the_pair_unverified_and_the_exit_code_1(
    tmp_path: Path,
) -> None:
    records = pair("weak")
    records[0]["test"] = "def test_zero():\n    assert add(0, 0) == 0\n"  # a - b passes too
    path = write_jsonl(tmp_path / "t.jsonl", records)
    result = CliRunner().invoke(main, ["pair", "verify", str(path)])
    assert result.exit_code == 1
    assert "weak: unverified: the flawed twin passes the tests too" in result.output


def test_study_show_reports_the_checks_of_the_study_s_pairs(tmp_path: Path) -> None:
    records = [*pair("good"), *pair("weak", prompt="Write add again.")]
    records[0]["test"] = TEST
    records[2]["test"] = "def test_zero():\n    assert add(0, 0) == 0\n"
    write_jsonl(tmp_path / "tasks.jsonl", records)
    (tmp_path / "study.toml").write_text(
        'name = "S"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = ["Ada", "Bob"]\n',
        encoding="utf-8",
    )
    db = str(tmp_path / "w.sqlite")
    runner = CliRunner()
    assert (
        runner.invoke(main, ["--db", db, "study", "create", str(tmp_path / "study.toml")]).exit_code
        == 0
    )
    shown = runner.invoke(main, ["--db", db, "study", "show", "S"]).output
    assert "1 verified, 1 unverified, 0 broken; 0 without a test" in shown
    assert "weak: unverified" in shown
