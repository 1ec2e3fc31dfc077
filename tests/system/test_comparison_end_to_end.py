"""The demo comparison study end to end: created from its study.toml (import and plan) → Ada
judges every compare and rank item by keyboard in the review window, answering the rubric →
Bob through the review service → the exports (judgments, preferences) and the report, every
figure counted by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.comparison_study import order_form
from support.held_backend import HeldBackend
from support.windows import open_main_window, press, start_review

from evalstudio.core.comparison import BETTER, SIDE_LETTERS, Layout
from evalstudio.core.model import Study, Truth
from evalstudio.core.review import Stage
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.report.study_report import build_report
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content
from evalstudio.ui.main_window import MainWindow

_KEYS = {n: getattr(Qt.Key, f"Key_{n}") for n in range(1, 6)}
_LETTERS = {c: getattr(Qt.Key, f"Key_{c}") for c in SIDE_LETTERS}


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, HeldBackend()) as win:
        qtbot.waitUntil(lambda: win.host.ready)
        yield win


def _ada_by_keyboard(qtbot: QtBot, window: MainWindow, workspace: Workspace, study: Study) -> None:
    """Every compare item: the correct twin much better (1 or 5); every rank item: the
    answers in the file's order (their letters as shown); confidence 4; the rubric's required
    question (what decided it) = correctness, by Q and a digit."""
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    slots = {i.id: i.slots for i in content.multi_items(workspace.db, study.id)}
    ada = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    review = start_review(qtbot, window, study, ada)
    for _ in range(len(review.session.queue)):
        item = review.entry.item
        shown = [s.candidate_id for s in item.sides]
        if item.layout is Layout.COMPARE:
            correct_left = truths[shown[0]] is Truth.CORRECT
            press(qtbot, _KEYS[1] if correct_left else _KEYS[5])
        else:
            for candidate_id in slots[item.item_id]:
                press(qtbot, _LETTERS[SIDE_LETTERS[shown.index(candidate_id)]])
        press(qtbot, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
        press(qtbot, Qt.Key.Key_Q)
        press(qtbot, Qt.Key.Key_1)  # correctness
        press(qtbot, Qt.Key.Key_Escape)
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert not review.form.problem.text(), review.form.problem.text()
        qtbot.waitUntil(lambda i=item.item_id: i in review.done and review.loaded)
    qtbot.waitUntil(lambda: review.jobs.idle)


def _bob_by_service(workspace: Workspace, study: Study) -> None:
    """Compare items: the left answer better, except "about the same" on the two pairs whose
    correct twin he sees on the left first in his queue; rank items: the file's order on the
    two first (by item name), reversed on the other two."""
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    items = {i.id: i for i in content.multi_items(workspace.db, study.id)}
    bob = next(e for e in list_evaluators(workspace) if e.name == "Bob")
    session = ReviewSession(workspace, study, bob)
    ranks = sorted(i.external_id for i in items.values() if i.layout is Layout.RANK)
    ties = 0
    for entry in session.queue:
        item = entry.item
        shown = [s.candidate_id for s in item.sides]
        if item.layout is Layout.COMPARE:
            if truths[shown[0]] is Truth.CORRECT and ties < 2:
                form, ties = order_form((shown[0], shown[1])), ties + 1
            else:
                form = order_form((shown[0],), (shown[1],), strength=BETTER)
        else:
            order = list(items[item.item_id].slots)
            if items[item.item_id].external_id in ranks[2:]:
                order.reverse()
            form = order_form(*((c,) for c in order))
        answers = (RubricAnswer("deciding", "clarity"),)
        session.submit(item.item_id, Stage.FINAL, replace(form, answers=answers))
    assert ties == 2


def test_the_demo_comparison_study_from_keys_to_exports_and_report(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    study = studies.ensure_demo_comparisons(workspace)
    _ada_by_keyboard(qtbot, window, workspace, study)
    _bob_by_service(workspace, study)

    # Exports: 24 judgments; preferences: Ada 8 comparisons + 4 rankings × 6 pairs = 32, Bob
    # 6 (his 2 ties left out) + 24 = 30; with the ties, 64.
    judged = tmp_path / "judgments.jsonl"
    export_study(workspace, study.name, ExportFormat.JUDGMENTS_JSONL, judged)
    rows = [json.loads(line) for line in judged.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 24 and {r["layout"] for r in rows} == {"compare", "rank"}
    assert {r["evaluator"]: r["answers"]["deciding"] for r in rows} == {
        "Ada": "correctness",
        "Bob": "clarity",
    }
    prefs = tmp_path / "preferences.jsonl"
    report = export_study(workspace, study.name, ExportFormat.PREFERENCES, prefs)
    assert report.records == 62
    lines = [json.loads(line) for line in prefs.read_text(encoding="utf-8").splitlines()]
    assert sum(1 for p in lines if p["evaluator"] == "Ada") == 32
    assert all(p["chosen"] != p["rejected"] for p in lines)

    # The report: Ada 8 of 8 correct, Bob 2 (4 correct on his left, 2 of them said the same):
    # 10 of 16; ties 2; the flawed twin 4 (Bob's left on the pairs whose flawed twin he sees
    # on the left). Side A: Ada 4 of 8 (her left holds the correct twin on 4), Bob 6 of 6.
    # Rankings: the same order on 2 items (W 1), reversed on 2 (W 0): mean 0.5, pairs alike
    # 12 of 24.
    found = build_report(workspace, study.name)
    assert found.comparisons is not None and found.rankings is not None
    picks = found.comparisons.picks["unassisted"]
    assert (picks.judged, picks.correct.count, picks.ties.count, picks.flawed) == (16, 10, 2, 4)
    left = found.comparisons.left["unassisted"]
    assert (left.count, left.of) == (10, 14)
    ranks = found.rankings.agreement["unassisted"]
    assert ranks.mean_w == pytest.approx(0.5)
    assert (ranks.pairwise.count, ranks.pairwise.of) == (12, 24)
    deciding = next(q for q in found.rubric if q.key == "deciding")
    assert deciding.distribution["unassisted"]["correctness"] == 12
    assert deciding.distribution["unassisted"]["clarity"] == 12
