"""`evalstudio judge` and `evalstudio sandwich` through click's CliRunner, with the real model."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.builders import record, write_jsonl

from evalstudio.cli.main import main

SMALL = ["--evaluator-max-tokens", "256", "--assistant-max-tokens", "512", "--threads", "2"]


def _study(tmp_path: Path) -> list[str]:
    db = ["--db", str(tmp_path / "w.sqlite")]
    tasks = write_jsonl(tmp_path / "t.jsonl", [record("ok", truth="correct")])
    assert CliRunner().invoke(main, [*db, "import", str(tasks), "--study", "S"]).exit_code == 0
    return db


@pytest.mark.model  # the command loads the bundled model
def test_judge_runs_a_model_evaluator_and_resumes_it_by_name(tmp_path: Path) -> None:
    db = _study(tmp_path)
    args = [*db, "judge", "--study", "S", "--name", "smol", "--condition", "unassisted", *SMALL]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "Judged 1 item in this run" in first.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "Judged 0 items in this run" in again.output
    other = CliRunner().invoke(main, [*args, "--evaluator-temperature", "0.2"])
    assert other.exit_code == 1
    assert "'smol' was made with other model settings" in other.output


@pytest.mark.model  # the command loads the bundled model
def test_sandwich_prints_the_curve_and_refuses_a_bad_grid(tmp_path: Path) -> None:
    db = _study(tmp_path)
    bad = CliRunner().invoke(main, [*db, "sandwich", "--study", "S", "--p", "0,1.5"])
    assert bad.exit_code == 2 and "1.5 is not between 0 and 1" in bad.output
    args = [*db, "sandwich", "--study", "S", "--p", "1", "--repeats", "1", *SMALL]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Judged 1 item in this run" in result.output
    assert "followed" in result.output and "cannot tell" in result.output
