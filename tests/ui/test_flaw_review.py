"""Unplanted flaws: which reported flaws are listed, the owner's review of them (CLI and
dialog), and how the report counts them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from support.study_builders import two_evaluator_study

from evalstudio.cli.main import main
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import LineRange, Severity, Verdict
from evalstudio.core.review import JudgmentForm, ReportedFlaw, Stage
from evalstudio.render.theme import LIGHT
from evalstudio.services.report.study_report import build_report
from evalstudio.services.review.flaw_review import review_flaw, unplanted_flaws
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.unplanted_flaws import UnplantedFlawsDialog

AT_PLANT = ReportedFlaw(Severity.MAJOR, "subtracts", lines=LineRange(2, 2))
ELSEWHERE = ReportedFlaw(Severity.MINOR, "no docstring", lines=LineRange(1, 1))


def _judge(workspace: Workspace, tmp_path: Path) -> dict[str, int]:
    """Ada and Bob judge every item "flawed", reporting the plant (on flawed twins) and one
    flaw on line 1 everywhere. Returns the hand count of unplanted flaws by twin."""
    study, flawed_item = two_evaluator_study(
        workspace, tmp_path, "U", pairs=3, seed=1, options='conditions = ["assisted"]\n'
    )
    expected = {"flawed": 0, "correct": 0}
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for entry in session.queue:
            item = entry.item.item_id
            flawed = flawed_item[item]
            form = JudgmentForm(Verdict.FLAWED, 4, 3, (AT_PLANT, ELSEWHERE))
            session.submit(item, Stage.FINAL, form)
            # On a flawed twin line 2 is the plant; on a correct twin both flaws are unplanted.
            expected["flawed" if flawed else "correct"] += 1 if flawed else 2
    return expected


def test_unplanted_flaws_are_those_away_from_the_plant_and_every_one_on_a_correct_twin(
    workspace: Workspace, tmp_path: Path
) -> None:
    expected = _judge(workspace, tmp_path)
    found = unplanted_flaws(workspace, "U")
    by_twin = {t: sum(f.truth.value == t for f in found) for t in ("flawed", "correct")}
    assert by_twin == expected
    on_flawed = [f for f in found if f.truth.value == "flawed"]
    assert all(f.flaw == ELSEWHERE and f.planted is not None for f in on_flawed)
    assert all(f.real is None for f in found)
    assert all(f.candidate.startswith("def add") for f in found)


def test_the_newest_review_counts_and_the_report_counts_the_real_ones(
    workspace: Workspace, tmp_path: Path
) -> None:
    _judge(workspace, tmp_path)
    first, second, third = unplanted_flaws(workspace, "U")[:3]
    review_flaw(workspace, "U", first.ref, True)
    review_flaw(workspace, "U", second.ref, True)
    review_flaw(workspace, "U", second.ref, False)  # changed its mind: the newest counts
    review_flaw(workspace, "U", f" {third.ref} ", False)
    reviews = {f.ref: f.real for f in unplanted_flaws(workspace, "U")}
    assert (reviews[first.ref], reviews[second.ref], reviews[third.ref]) == (True, False, False)
    report = build_report(workspace, "U")
    rates = report.conditions["assisted"]
    assert rates.unplanted_flaws == len(reviews)
    assert (rates.unplanted_reviewed, rates.unplanted_real) == (3, 1)
    assert sum(i.reported for i in report.unplanted) == len(reviews)
    assert sum(i.real for i in report.unplanted) == 1
    per_item = {i.item: i for i in report.unplanted}
    assert per_item[first.item_name].real == 1
    # Each evaluator sees one twin of each pair: 1 unplanted flaw on a flawed twin, 2 on a
    # correct one; the most reported first.
    assert [i.reported for i in report.unplanted] == sorted(
        (i.reported for i in report.unplanted), reverse=True
    )
    assert {i.reported for i in report.unplanted} == {1, 2}


def test_an_unknown_reference_is_refused_with_where_to_find_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    _judge(workspace, tmp_path)
    with pytest.raises(EvalStudioError, match="evalstudio flaws list"):
        review_flaw(workspace, "U", "nope:0", True)


def test_the_cli_lists_and_marks_by_reference(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    _judge(workspace, tmp_path)
    db = ["--db", str(workspace_path)]
    listed = CliRunner().invoke(main, [*db, "flaws", "list", "--study", "U"])
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.stdout.splitlines() if line]
    assert len(lines) == len(unplanted_flaws(workspace, "U"))
    ref = lines[0].split("\t")[0]
    item, twin, _, condition, *rest = lines[0].split("\t")[1:]
    assert (item, twin, condition) == ("p0-bug", "flawed", "assisted")
    assert rest == ["line 1", "minor", "unreviewed", "no docstring"]
    marked = CliRunner().invoke(main, [*db, "flaws", "mark", "--study", "U", ref, "--real"])
    assert marked.exit_code == 0, marked.output
    assert "\treal\t" in marked.output
    left = CliRunner().invoke(main, [*db, "flaws", "list", "--study", "U", "--unreviewed"])
    assert ref not in left.stdout and len(left.stdout.splitlines()) == len(lines) - 1
    bad = CliRunner().invoke(main, [*db, "flaws", "mark", "--study", "U", "x:1", "--not-real"])
    assert bad.exit_code != 0 and "no unplanted flaw 'x:1'" in bad.output
    assert "Traceback" not in bad.output


def test_the_dialog_marks_the_selected_flaw_and_moves_on(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    _judge(workspace, tmp_path)
    errors: list[BaseException] = []
    jobs = Jobs(errors.append)
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = UnplantedFlawsDialog(parent, workspace, jobs, "U", LIGHT)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=10_000)
    assert dialog.table.currentRow() == 0
    assert "def" in dialog.candidate.toPlainText()  # the candidate, with the flaw's line
    with qtbot.waitSignal(dialog.reviewed, timeout=10_000):
        qtbot.keyClick(dialog, "R")
    qtbot.waitUntil(lambda: dialog.table.currentRow() == 1, timeout=10_000)
    with qtbot.waitSignal(dialog.reviewed, timeout=10_000):
        dialog.not_real_button.click()
    assert dialog.table.item(0, 7).text() == "real"
    assert dialog.table.item(1, 7).text() == "not real"
    stored = {f.ref: f.real for f in unplanted_flaws(workspace, "U")}
    assert stored[dialog.flaws[0].ref] is True and stored[dialog.flaws[1].ref] is False
    assert "2 reviewed · 1 real" in dialog.summary.text()
    assert not errors
    jobs.shutdown({})


def test_a_stored_flaw_outside_the_answer_is_listed_as_such_and_counted_nowhere(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    """A flaw stored before submit refused ones outside the candidate (line 40 of a 3-line
    answer, from a critique point naming it): flagged in the owner's list, not reviewable,
    and neither unplanted nor at the plant in the report."""
    _judge(workspace, tmp_path)
    before = build_report(workspace, "U").conditions["assisted"]
    first = unplanted_flaws(workspace, "U")[0]
    with workspace.db.atomic():  # as a flaw stored before the check was (rows are append-only)
        workspace.db.execute("DROP TRIGGER judgment_flaws_append_only_update")
        workspace.db.execute(
            "UPDATE judgment_flaws SET line_start = 40, line_end = 40 "
            "WHERE judgment_id = ? AND position = ?",
            [first.judgment_id, first.position],
        )
    found = {f.ref: f for f in unplanted_flaws(workspace, "U")}
    assert found[first.ref].outside and found[first.ref].flaw.lines == LineRange(40, 40)
    assert sum(f.outside for f in found.values()) == 1
    with pytest.raises(EvalStudioError, match="outside the answer"):
        review_flaw(workspace, "U", first.ref, True)
    after = build_report(workspace, "U").conditions["assisted"]
    assert after.unplanted_flaws == before.unplanted_flaws - 1
    assert after.catches == before.catches
    db = ["--db", str(workspace_path)]
    listed = CliRunner().invoke(main, [*db, "flaws", "list", "--study", "U"])
    assert "line 40 (outside the answer)" in listed.output and "not counted" in listed.output
    left = CliRunner().invoke(main, [*db, "flaws", "list", "--study", "U", "--unreviewed"])
    assert first.ref not in left.output  # nothing to review
