"""The task tab (issue 21 §7): a new item always opens on its task, even if the evaluator left
the Guidelines tab open on the item before."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot
from support.builders import pair, write_jsonl
from support.held_backend import HeldBackend
from support.windows import open_main_window, start_review

from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace


def test_the_next_item_opens_on_its_task_not_on_the_guidelines(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    records = [*pair("p1", prompt="Write add(a, b)."), *pair("p2", prompt="Write sub(a, b).")]
    study = import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "S").study
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, HeldBackend()) as window:
        review = start_review(qtbot, window, study, ada)
        tabs = review.task_tabs
        assert tabs.currentWidget() is review.task_view
        for step in (review.step, review.step, lambda _: review.next_not_done()):
            tabs.setCurrentWidget(review.guidelines_view)
            before = review.index
            step(1)
            qtbot.waitUntil(lambda before=before: review.index != before and review.loaded)
            assert tabs.currentWidget() is review.task_view
            qtbot.waitUntil(lambda: review.entry.item.task_prompt in review.task_view.toPlainText())
