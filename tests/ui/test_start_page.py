"""The start page: the first start asks for a name; each study shows the chosen evaluator's
progress (done of total, when they last worked on it); Enter continues on their next item not
done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.builders import pair, record, write_jsonl
from support.windows import open_main_window, wait_for_review

from evalstudio.core.model import Evaluator, Study, Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.times import local_time

FORM = JudgmentForm(Verdict.ACCEPTABLE, quality=5, confidence=3)


@pytest.fixture
def demo(workspace: Workspace) -> Study:
    return studies.ensure_demo_study(workspace)


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, demo: Study) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace) as win:
        yield win


def _reload(qtbot: QtBot, window: MainWindow, evaluator: Evaluator, study: str) -> None:
    page = window.start_page
    page.loaded = False
    page.refresh(select_evaluator=evaluator.id, select_study=study)
    qtbot.waitUntil(lambda: page.loaded)


def _row(window: MainWindow, study: str) -> str:
    page = window.start_page
    assert page.select_study(study)
    entry = page.study_list.currentItem()
    assert entry is not None
    return entry.text()


def test_each_study_shows_the_chosen_evaluators_progress(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path
) -> None:
    # Three items: a code pair and a text item; Ada judges one and skips one, Grace nothing.
    records = [
        *pair("p1"),
        record("t1", kind="text", language="en", prompt="When?", candidate="In 1889."),
    ]
    small = import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Small").study
    ada = evaluators.add_evaluator(workspace, "Ada")
    grace = evaluators.add_evaluator(workspace, "Grace")
    session = ReviewSession(workspace, small, ada)
    first, _, third = session.item_ids()
    session.opened(first)
    session.submit(first, Stage.FINAL, FORM)
    session.opened(third)
    skipped = session.skip(third, "I cannot read this language", active_ms=0)

    _reload(qtbot, window, ada, "Small")
    assert _row(window, "Small") == (
        f"Small\n3 items · 2 code · 1 text\n2 of 3 done · last worked on "
        f"{local_time(skipped.created_at)}"
    )
    assert _row(window, studies.DEMO_STUDY).endswith("\n0 of 42 done · not started")
    assert window.start_page.start_button.text() == "Start reviewing"
    window.start_page.select_study("Small")
    assert window.start_page.start_button.text() == "Continue"

    window.start_page.evaluator_box.setCurrentIndex(1)  # Grace: her own figures
    qtbot.waitUntil(lambda: _row(window, "Small").endswith("0 of 3 done · not started"))
    assert window.start_page.selected_evaluator() == grace


def test_enter_continues_on_the_next_item_not_done(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, demo: Study
) -> None:
    ada = evaluators.add_evaluator(workspace, "Ada")
    session = ReviewSession(workspace, demo, ada)
    ids = session.item_ids()
    for item in (ids[0], ids[1], ids[3]):
        session.opened(item)
        session.submit(item, Stage.FINAL, FORM)
    session.opened(ids[1])  # last seen on a done item: Continue goes past it, to the third
    _reload(qtbot, window, ada, demo.name)
    assert _row(window, demo.name).split("\n")[2].startswith("3 of 42 done · last worked on")
    window.start_page.study_list.setFocus()
    qtbot.keyClick(window.start_page.study_list, Qt.Key.Key_Return)
    review = wait_for_review(qtbot, window)
    assert review.session.evaluator == ada and review.index == 2


def test_the_first_start_asks_for_a_name_and_enter_starts_the_study(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, demo: Study
) -> None:
    page = window.start_page
    qtbot.waitUntil(lambda: page.loaded)
    assert page.first_start() and page.name_field.isVisible()
    assert not page.evaluator_box.isVisible()
    assert page.name_field.hasFocus()
    qtbot.keyClick(page.name_field, Qt.Key.Key_Return)  # no name yet: asked again, nothing made
    assert window.statusBar().currentMessage().startswith("Type your name first")
    assert evaluators.list_evaluators(workspace) == []
    qtbot.keyClicks(page.name_field, "  Ada Lovelace ")
    qtbot.keyClick(page.name_field, Qt.Key.Key_Return)
    review = wait_for_review(qtbot, window)
    assert review.session.evaluator.name == "Ada Lovelace"
    assert review.session.study.id == demo.id and review.index == 0
    assert [e.name for e in evaluators.list_evaluators(workspace)] == ["Ada Lovelace"]
    qtbot.waitUntil(lambda: not page.first_start())  # the next time, a choice of evaluators
