"""A compare or rank item gives its answers the width at 1280×720 and 1600×1000: the queue
and the right column narrow to leave the centre most of it. Those widths are kept apart from
a single item's, and whatever the evaluator drags, on either kind, is theirs: it comes back
with the next item of that kind and with the next review."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from support.builders import pair, record, write_jsonl
from support.comparison_study import fluency_question, ranked
from support.held_backend import HeldBackend
from support.windows import open_main_window, start_review

from evalstudio.core.comparison import Layout
from evalstudio.core.model import Study
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView

# The least width of each of a compare item's two answers (each was 262 px at 1280×720 and
# 373 px at 1600×1000 beside a form column of 513 px and a queue of 220), and of a rank
# item's one answer on screen.
COMPARE_PANE = {(1280, 720): 350, (1600, 1000): 450}
RANK_PANE = {(1280, 720): 700, (1600, 1000): 900}
QUESTION = fluency_question()


def _study(workspace: Workspace, folder: Path) -> Study:
    """A compare item, a rank item and a single item, assisted (the assistant on screen), with
    a question for compare and rank items (the form at its tallest)."""
    write_jsonl(folder / "tasks.jsonl", [*pair("p0", "Write add0."), ranked(), record("one")])
    (folder / "study.toml").write_text(
        'name = "Mixed"\ntasks = "tasks.jsonl"\nseed = 11\nevaluators = ["Ada"]\n'
        'pairs_as = "compare"\nconditions = ["assisted"]\n' + QUESTION,
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return studies.study_named(workspace, "Mixed")


def _open(qtbot: QtBot, review: ReviewView, layout: Layout) -> None:
    index = next(i for i, e in enumerate(review.session.queue) if e.item.layout is layout)
    review.open_index(index)
    qtbot.waitUntil(lambda: review.loaded and review.index == index)
    qtbot.wait(20)  # the splitters take their sizes when the events are through


def _start(qtbot: QtBot, window: MainWindow, study: Study) -> ReviewView:
    ada = next(e for e in list_evaluators(window.context.workspace) if e.name == "Ada")
    return start_review(qtbot, window, study, ada)


def _on_screen(window: MainWindow, widget: QWidget) -> bool:
    corner = widget.mapTo(window, widget.rect().bottomRight())
    return widget.isVisible() and window.rect().contains(corner)


@pytest.mark.parametrize("size", list(COMPARE_PANE), ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_answers_of_compare_and_rank_items_get_most_of_the_width(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path, size: tuple[int, int]
) -> None:
    study = _study(workspace, tmp_path)
    with open_main_window(qtbot, workspace, HeldBackend(), size=size) as window:
        review = _start(qtbot, window, study)
        _open(qtbot, review, Layout.COMPARE)
        assert review.assistant_box.isVisible()
        panes = [pane.width() for pane in review.sides.panes[:2]]
        assert min(panes) >= COMPARE_PANE[size], panes
        assert review.center.width() > review.width() // 2  # most of the window's width
        # What the narrower column holds is all on screen: the assistant's buttons, every
        # scale point whole (its words not cut), the submit button.
        buttons = [*review.panel.buttons.values(), review.panel.regenerate_button]
        for button in [*buttons, *review.form.compare.group.buttons()]:
            if button.isVisible():
                assert button.width() >= button.minimumWidth(), button.text()
        assert _on_screen(window, review.form.submit_button)
        _open(qtbot, review, Layout.RANK)
        assert review.sides.panes[0].width() >= RANK_PANE[size]
        keys, order = review.form.rank.keys, review.form.rank.list
        assert keys.height() >= keys.heightForWidth(keys.width())  # its lines all shown
        assert order.geometry().bottom() < keys.geometry().top()  # under the list, not on it
        _open(qtbot, review, Layout.SINGLE)
        assert review.outer.sizes()[0] >= 200  # a single item's queue is as wide as before


def test_the_widths_the_evaluator_drags_are_kept_per_kind_of_item(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    study = _study(workspace, tmp_path)
    with open_main_window(qtbot, workspace, HeldBackend(), size=(1280, 720)) as window:
        review = _start(qtbot, window, study)
        _open(qtbot, review, Layout.SINGLE)
        single = review.outer.sizes()
        _open(qtbot, review, Layout.COMPARE)
        total = sum(review.outer.sizes())
        dragged = [200, total - 200 - 500, 500]  # a wider queue and form than by default
        review.outer.setSizes(dragged)
        _open(qtbot, review, Layout.SINGLE)
        assert review.outer.sizes() == single  # a single item's widths, not the dragged ones
        _open(qtbot, review, Layout.RANK)
        assert review.outer.sizes() == dragged  # the evaluator's, on the next multi-answer item
        window.close_review()  # saves the layout, as leaving the review does
        review = _start(qtbot, window, study)
        _open(qtbot, review, Layout.COMPARE)
        assert review.outer.sizes() == dragged  # and in the next review
        _open(qtbot, review, Layout.SINGLE)
        assert review.outer.sizes() == single
