"""`evalstudio export`: every format from the command line, the truth only when asked, and
clear messages (never a traceback) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.comparison_study import comparison_study, order_form, session_of
from support.scripted_study import Scripted, scripted_study

from evalstudio.cli.main import main
from evalstudio.core.comparison import Layout
from evalstudio.core.review import Stage
from evalstudio.services.report.exports import ExportFormat
from evalstudio.services.workspace.opening import Workspace


@pytest.fixture
def scripted(workspace: Workspace, tmp_path: Path) -> Scripted:
    found = scripted_study(workspace, tmp_path)
    workspace.close()  # the command opens the file itself
    return found


def run(workspace_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(workspace_path), "export", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("format", list(ExportFormat))
def test_each_format_is_written_and_counted(
    workspace_path: Path, tmp_path: Path, scripted: Scripted, format: ExportFormat
) -> None:
    target = tmp_path / f"out{format.suffix}"
    code, output = run(
        workspace_path, "--study", "S", "--format", format.value, "--with-truth", str(target)
    )
    assert code == 0, output
    text = target.read_text(encoding="utf-8")
    records = len(text.splitlines()) if format.suffix == ".jsonl" else None
    if format.content == "pairs":
        assert f"Wrote {records} preference pairs to {target}: the pairs (of 4)" in output
    elif records is not None:
        assert f"Wrote {records} " in output and "with the ground truth" in output
    else:
        assert text.startswith("format_version,study,")


def test_without_with_truth_the_file_has_no_truth(
    workspace_path: Path, tmp_path: Path, scripted: Scripted
) -> None:
    target = tmp_path / "judgments.jsonl"
    code, output = run(workspace_path, "--study", "S", "--format", "judgments-jsonl", str(target))
    assert code == 0, output
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert "truth" not in first and "score" not in first
    assert "ground truth" not in output.splitlines()[-1]


def test_pairs_without_the_truth_are_refused_before_anything_is_read(
    workspace_path: Path, tmp_path: Path, scripted: Scripted
) -> None:
    code, output = run(
        workspace_path, "--study", "S", "--format", "pairs", str(tmp_path / "p.jsonl")
    )
    assert code == 2 and "add --with-truth" in output
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--study", "Nope", "--format", "events-csv", "{tmp}/e.csv"], "no study named 'Nope'"),
        (["--study", "S", "--format", "events-csv", "{tmp}/no/e.csv"], "does not exist"),
        (["--study", "S", "--format", "xml", "{tmp}/e.xml"], "'xml' is not one of"),
    ],
)
def test_bad_input_is_a_message(
    workspace_path: Path, tmp_path: Path, scripted: Scripted, args: list[str], message: str
) -> None:
    code, output = run(workspace_path, *(a.format(tmp=tmp_path) for a in args))
    assert code != 0 and message in output
    assert not list(tmp_path.glob("**/.*.part"))


def test_preferences_with_ties_from_the_command(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    """Ada calls a comparison about the same: a tie, written only with --ties."""
    study = comparison_study(workspace, tmp_path)
    session = session_of(workspace, study, "Ada")
    item = next(e.item for e in session.queue if e.item.layout is Layout.COMPARE)
    session.submit(item.item_id, Stage.FINAL, order_form(tuple(s.candidate_id for s in item.sides)))
    workspace.close()
    target = tmp_path / "preferences.jsonl"
    args = ["--study", "Compare", "--format", "preferences", str(target)]
    code, output = run(workspace_path, *args)
    assert code == 0, output
    assert target.read_text(encoding="utf-8") == ""
    assert "Wrote 0 preferences to" in output and "from 1 people's judgments" in output
    code, output = run(workspace_path, *args, "--ties")
    assert code == 0, output
    (line,) = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["tie"] is True
    assert "Wrote 1 preferences (ties included) to" in output


def test_ties_belong_to_preferences_only(
    workspace_path: Path, tmp_path: Path, scripted: Scripted
) -> None:
    target = tmp_path / "j.jsonl"
    code, output = run(
        workspace_path, "--study", "S", "--format", "judgments-jsonl", "--ties", str(target)
    )
    assert code == 2 and "--ties is for --format preferences" in output
    assert not target.exists()
