"""The model commands of the CLI: `assist` prints a streamed answer, `pregen` fills and resumes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.builders import record, write_jsonl

from evalstudio.cli.main import main


@pytest.mark.model  # the command loads the bundled model
def test_pregen_generates_then_skips_what_is_stored(tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(tmp_path / "ws.sqlite")]
    path = write_jsonl(tmp_path / "t.jsonl", [record("a"), record("b", prompt="Other")])
    assert runner.invoke(main, [*db, "import", str(path), "--study", "S"]).exit_code == 0
    args = [
        *db,
        "pregen",
        "--study",
        "S",
        "--kinds",
        "explain,fact_check",
        "--max-tokens",
        "4",
        "--threads",
        "2",
    ]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "Generated 4, already stored 0, failed 0." in first.output
    again = runner.invoke(main, args)
    assert "Generated 0, already stored 4, failed 0." in again.output
    asked = runner.invoke(
        main,
        [
            *db,
            "assist",
            "--study",
            "S",
            "--item",
            "2",
            "--kind",
            "explain",
            "--max-tokens",
            "6",
            "--threads",
            "2",
        ],
    )
    assert asked.exit_code == 0, asked.output
    assert "tokens, seed" in asked.output


def test_bad_kinds_and_items_are_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(tmp_path / "ws.sqlite")]
    write_jsonl(tmp_path / "t.jsonl", [record("a")])
    runner.invoke(main, [*db, "import", str(tmp_path / "t.jsonl"), "--study", "S"])
    bad_kind = runner.invoke(main, [*db, "pregen", "--study", "S", "--kinds", "summary"])
    assert bad_kind.exit_code == 2 and "unknown kind 'summary'" in bad_kind.output
    chat = runner.invoke(main, [*db, "pregen", "--study", "S", "--kinds", "chat"])
    assert chat.exit_code == 2 and "cannot be pre-generated" in chat.output
    far = runner.invoke(main, [*db, "assist", "--study", "S", "--item", "9"])
    assert far.exit_code == 2 and "the study has 1 item" in far.output
    # As in the review window: code has no facts to check without a reference.
    facts = runner.invoke(
        main, [*db, "assist", "--study", "S", "--item", "1", "--kind", "fact_check"]
    )
    assert facts.exit_code == 2
    assert "Fact-check does not apply to item 1 (code, no reference)" in facts.output
    missing = runner.invoke(
        main, [*db, "assist", "--study", "S", "--item", "1", "--model", str(tmp_path / "none.gguf")]
    )
    assert missing.exit_code == 1 and "model file not found" in missing.output
    assert "Traceback" not in missing.output
