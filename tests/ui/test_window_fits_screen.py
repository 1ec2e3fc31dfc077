"""On a small screen every window and dialog opens inside the screen's free area, and the
assistant panel keeps a usable transcript with critique points shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot
from support.comparison_study import comparison_study, fluency_question
from support.held_backend import HeldBackend
from support.windows import open_main_window, start_review

from evalstudio.core.assistance import AssistKind
from evalstudio.core.comparison import Layout
from evalstudio.core.model import Study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui import screen_fit
from evalstudio.ui.app_settings import ModelOptions
from evalstudio.ui.cheat_sheet import CheatSheet
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.model_host import LiveResponse
from evalstudio.ui.report_view import ReportView
from evalstudio.ui.review.assistant_panel import TRANSCRIPT_LINES
from evalstudio.ui.settings_dialog import SettingsDialog
from evalstudio.ui.study_setup_dialog import StudySetupDialog

QUESTION_FOR_COMPARISONS = fluency_question()
SCREENS = [(1280, 720), (1366, 768), (1600, 1000)]
CRITIQUE = json.dumps(
    {
        "points": [
            {
                "quote": "lo, hi = 0, len(items) - 1",
                "line_start": 3,
                "line_end": 3,
                "severity": "major",
                "claim": f"Point {n}: the upper bound may skip the last element.",
            }
            for n in range(1, 6)
        ],
        "verdict": "flawed",
    }
)


@pytest.fixture(params=SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def screen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> QRect:
    area = QRect(0, 0, *request.param)
    monkeypatch.setattr(screen_fit, "available_geometry", lambda widget: area)
    return area


def _fits(window: QWidget, area: QRect) -> None:
    """`window`, frame included, lies inside `area`; so does what its content needs."""
    frame = QRect(window.pos(), window.size())
    frame.adjust(0, 0, screen_fit.FRAME_WIDTH, screen_fit.FRAME_HEIGHT)
    assert area.contains(frame), (frame, area)
    needed = window.minimumSizeHint()
    assert needed.width() <= window.width() and needed.height() <= window.height()


def test_the_main_window_and_its_review_fit_and_the_transcript_keeps_its_lines(
    qtbot: QtBot, screen: QRect, workspace: Workspace, local_backend: object, demo_study: Study
) -> None:
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, local_backend) as window:
        _fits(window, screen)
        review = start_review(qtbot, window, demo_study, ada)
        review.open_index(0)
        qtbot.waitUntil(lambda: review.loaded)
        panel = review.panel
        live = LiveResponse(review.entry.item.item_id, AssistKind.CRITIQUE, None)
        live.text, live.chunks = CRITIQUE, 200  # five points, as if streamed
        review.assistant_box.setVisible(True)
        panel.add_live(live, None)
        qtbot.waitUntil(lambda: panel.points.count() == 5)
        review.form.set_quality(3)  # a chosen rating and a problem shown: the form at its tallest
        review.form.problem.setText("Choose a verdict (F or A).")
        _fits(window, screen)
        panel.raw_toggle.setChecked(True)  # the raw output, in the transcript's place
        _fits(window, screen)
        panel.raw_toggle.setChecked(False)
        lines = panel.response_view.fontMetrics().lineSpacing()
        qtbot.waitUntil(lambda: panel.response_view.height() >= TRANSCRIPT_LINES * lines)
        # Folding the points gives their room back to the transcript.
        before = panel.response_view.height()
        panel.points_toggle.setChecked(False)
        qtbot.waitUntil(lambda: panel.response_view.height() > before)
        assert not panel.points.isVisible() and panel.points_toggle.isVisible()
        panel.points_toggle.setChecked(True)
        assert panel.points.isVisible()
        live.cancel()


@pytest.mark.parametrize("layout", [Layout.COMPARE, Layout.RANK])
def test_compare_and_rank_items_fit_with_their_whole_form(
    qtbot: QtBot, screen: QRect, workspace: Workspace, tmp_path: Path, layout: Layout
) -> None:
    """Every scale point and the whole ranking (four answers, all ranked) on screen, with the
    submit button, a problem shown and the study's question for the layout."""
    study = comparison_study(workspace, tmp_path, options=QUESTION_FOR_COMPARISONS)
    ada = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    with open_main_window(qtbot, workspace, HeldBackend()) as window:
        review = start_review(qtbot, window, study, ada)
        index = next(i for i, e in enumerate(review.session.queue) if e.item.layout is layout)
        review.open_index(index)
        qtbot.waitUntil(lambda: review.loaded and review.index == index)
        for n in (1, 2, 3, 4):
            review.form.digit(n)
        review.form.problem.setText("To submit: rate your confidence (1-5).")
        qtbot.wait(50)
        _fits(window, screen)
        assert review.form.rubric.fields, "the study's question for compare and rank is asked"
        shown = (
            review.form.compare.group.buttons()
            if layout is Layout.COMPARE
            else [review.form.rank.list]
        )
        for widget in [*shown, review.form.submit_button, review.form.rubric.fields[0]]:
            corner = widget.mapTo(window, widget.rect().bottomRight())
            assert widget.isVisible() and window.rect().contains(corner), widget


def _dialogs(parent: QWidget, workspace: Workspace, jobs: Jobs) -> list[Callable[[], QDialog]]:
    return [
        lambda: SettingsDialog(parent, ModelOptions(), {}),
        lambda: CheatSheet(parent, {}),
        lambda: StudySetupDialog(parent, workspace, jobs),
        lambda: ReportView(parent, "S", lambda colours: "<h1>S</h1>" * 200, {}),
    ]


def test_every_dialog_opens_inside_a_small_screen(
    qtbot: QtBot, screen: QRect, workspace: Workspace, jobs: Jobs
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.setGeometry(screen)  # the window they belong to fills the screen
    parent.show()
    for make in _dialogs(parent, workspace, jobs):
        dialog = make()
        dialog.show()
        qtbot.waitExposed(dialog)
        _fits(dialog, screen)
        dialog.close()
