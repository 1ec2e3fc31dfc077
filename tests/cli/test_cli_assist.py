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


def test_on_a_compare_item_an_answer_is_named_by_its_side(tmp_path: Path) -> None:
    """A critique of a compare item is of one answer (--side); a Comparison is of both; a
    side the item lacks and a side on a single item are usage errors, before any model."""
    runner = CliRunner()
    db = ["--db", str(tmp_path / "ws.sqlite")]
    two = {
        "id": "q",
        "prompt": "Which?",
        "kind": "text",
        "candidates": [{"id": "q-a", "text": "Yes."}, {"id": "q-b", "text": "No."}],
    }
    write_jsonl(tmp_path / "t.jsonl", [two, record("single")])
    runner.invoke(main, [*db, "import", str(tmp_path / "t.jsonl"), "--study", "S"])
    ask = [*db, "assist", "--study", "S"]
    unnamed = runner.invoke(main, [*ask, "--item", "1", "--kind", "critique"])
    assert unnamed.exit_code == 2 and "a compare item: name the answer" in unnamed.output
    beyond = runner.invoke(main, [*ask, "--item", "1", "--kind", "critique", "--side", "C"])
    assert beyond.exit_code == 2 and "(sides: A, B)" in beyond.output
    both = runner.invoke(main, [*ask, "--item", "1", "--kind", "compare", "--side", "A"])
    assert both.exit_code == 2 and "not an answer of this item to ask Compare of" in both.output
    single = runner.invoke(main, [*ask, "--item", "2", "--kind", "compare"])
    assert single.exit_code == 2 and "Compare does not apply to item 2" in single.output
    sided = runner.invoke(main, [*ask, "--item", "2", "--kind", "critique", "--side", "A"])
    assert sided.exit_code == 2 and "(sides: none)" in sided.output
