"""A small study run end to end: defined in a file, four evaluators each judging their queue in
the real window with the real model, then every judgment scored against the ground truth."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.builders import pair, write_jsonl
from support.windows import start_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind
from evalstudio.core.review import Condition
from evalstudio.core.scoring import Score
from evalstudio.services.studies import studies
from evalstudio.services.studies.scores import study_scores
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assignments, assist_log, content
from evalstudio.ui.main_window import MainWindow

NAMES = ["Ada", "Grace", "Linus", "Barbara"]
DEFINITION = f"""
name = "E2E"
tasks = "tasks.jsonl"
seed = "e2e"
evaluators = {NAMES!r}
conditions = ["unassisted", "assisted"]
assist_kinds = ["critique"]
""".replace("'", '"')


def _judge_queue(qtbot: QtBot, window: MainWindow) -> None:
    """What a careful (if suspicious) evaluator does with the keyboard: on assisted items ask
    for a critique, then flag line 2 as a major flaw, rate, and submit."""
    review = window.review
    assert review is not None
    for _ in range(len(review.session.queue)):
        qtbot.waitUntil(lambda: review.loaded)
        code = review.candidate.code
        code.setFocus()
        if review.entry.condition is Condition.ASSISTED:
            assert review.assistant_box.isVisible()
            assert not review.panel.buttons[AssistKind.EXPLAIN].isVisibleTo(review.panel)
            count = len(review.panel._entries)
            qtbot.keyClicks(code, "c")
            qtbot.waitUntil(
                lambda n=count: (
                    len(review.panel._entries) == n + 1 and review.panel.streaming() is None
                ),
                timeout=60_000,
            )
        else:
            assert not review.assistant_box.isVisible()
        cursor = code.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        cursor.movePosition(QTextCursor.MoveOperation.Down)
        code.setTextCursor(cursor)
        code.setFocus()
        qtbot.keyClicks(code, "l")
        qtbot.keyClicks(QApplication.focusWidget(), "wrong operator")
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        code.setFocus()
        qtbot.keyClicks(code, "f3")
        qtbot.keyClick(code, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
        index = review.index
        qtbot.keyClick(code, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(
            lambda i=index: review.index != i or len(review.done) == len(review.session.queue)
        )
    qtbot.waitUntil(lambda: window.jobs.idle)


def test_four_evaluators_run_a_study_through_the_window(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path, local_backend: LocalLlama
) -> None:
    records = [r for n in range(4) for r in pair(f"p{n}", prompt=f"Write add{n}(a, b).")]
    write_jsonl(tmp_path / "tasks.jsonl", records)
    (tmp_path / "study.toml").write_text(DEFINITION, encoding="utf-8")
    create_study(workspace, tmp_path / "study.toml")
    study = studies.study_named(workspace, "E2E")
    settings = QSettings("EvalStudio", "EvalStudio")
    settings.clear()
    settings.setValue("model/max_tokens", 32)
    people = {e.name: e for e in evaluators.list_evaluators(workspace)}

    for name in NAMES:
        window = MainWindow(workspace, backend=local_backend)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda w=window: w.host.ready, timeout=60_000)
        start_review(qtbot, window, study, people[name])
        _judge_queue(qtbot, window)
        window.close()
    settings.clear()

    scored = study_scores(workspace, study.id)
    assert len(scored) == 4 * 4  # each evaluator: one twin of each of the 4 pairs
    candidates = {c.id: c for c in content.candidates_of_study(workspace.db, study.id)}
    item_of = content.item_ids_by_candidate(workspace.db, study.id)
    pair_of = {item_of[c.id]: c.external_id.rsplit("-", 1)[0] for c in candidates.values()}
    for name in NAMES:
        evaluator = people[name]
        planned = dict(assignments.assigned(workspace.db, study.id, evaluator.id))
        mine = [s for s in scored if s.judgment.evaluator_id == evaluator.id]
        assert {s.judgment.study_item_id for s in mine} == set(planned)
        assert len({pair_of[s.judgment.study_item_id] for s in mine}) == 4  # no pair twice
        for s in mine:
            assert s.judgment.condition is planned[s.judgment.study_item_id]
            events = assist_log.events_of_item(workspace.db, s.judgment.study_item_id, evaluator.id)
            assert bool(events) == (s.judgment.condition is Condition.ASSISTED)
    # The planted flaw of every flawed twin is on line 2, where everyone pointed: a catch. On a
    # correct twin the same judgment is a false alarm.
    outcomes = Counter(s.scored.score for s in scored)
    assert outcomes == {Score.CATCH: 8, Score.FALSE_ALARM: 8}
