"""Light and dark switched while the app runs: every view follows at once (no restart), with
readable text (WCAG contrast of 4.5:1 or more for body text) in both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from support.comparison_study import comparison_study
from support.held_backend import HeldBackend
from support.windows import open_main_window, start_review

from evalstudio.core.comparison import Layout
from evalstudio.core.model import Kind, Study
from evalstudio.core.task_records import TaskRecord
from evalstudio.render.report_html import PageColours
from evalstudio.render.theme import DARK
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.pair_form import PairForm
from evalstudio.ui.palette import contrast, current_theme, follow_color_scheme, is_dark
from evalstudio.ui.report_view import ReportView, page_colours

BODY = 4.5


@pytest.fixture
def app(qtbot: QtBot) -> Iterator[QApplication]:
    """The app, back in light colours after the test (the palette is the whole app's)."""
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    yield instance
    follow_color_scheme(instance, "light")


def _switch(app: QApplication, window: MainWindow, appearance: str) -> None:
    window.settings.set_appearance(appearance)
    window.apply_theme()
    app.processEvents()


def _sheet_colour(widget: QWidget) -> QColor | None:
    """The text colour a plain style sheet ("color: #…;", no selectors) gives."""
    if "{" in widget.styleSheet():
        return None
    found = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", widget.styleSheet())
    return QColor(found.group(1)) if found else None


def _unreadable(root: QWidget) -> list[str]:
    """The enabled labels and buttons under `root` whose text is below body contrast on the
    app's palette, by their own palette or by their style sheet's colour."""
    app_palette = QApplication.palette()
    bad = []
    for widget in root.findChildren(QWidget):
        if not widget.isEnabled() or not isinstance(widget, QLabel | QPushButton):
            continue
        palette = widget.palette()
        if isinstance(widget, QLabel):
            text, ground = QPalette.ColorRole.WindowText, QPalette.ColorRole.Window
        else:
            text, ground = QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button
        colours = [palette.color(text)]
        if (sheet := _sheet_colour(widget)) is not None:
            colours.append(sheet)
        for colour in colours:
            if contrast(colour, app_palette.color(ground)) < BODY:
                bad.append(f"{type(widget).__name__} {widget.text()[:30]!r}: {colour.name()}")
        # Its own palette is the app's: a styled widget polished once would keep the old one.
        if palette.color(ground) != app_palette.color(ground):
            bad.append(f"{type(widget).__name__} {widget.text()[:30]!r}: stale background")
    return bad


def test_titles_ratings_and_errors_follow_a_live_switch_both_ways(
    qtbot: QtBot, app: QApplication, workspace: Workspace, local_backend: object, demo_study: Study
) -> None:
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, local_backend) as window:
        _switch(app, window, "light")
        review = start_review(qtbot, window, demo_study, ada)
        review.form.set_quality(3)
        review.form.problem.setText("Choose a verdict.")  # the error line, shown
        for appearance in ("dark", "light", "dark"):
            _switch(app, window, appearance)
            assert is_dark(QApplication.palette()) is (appearance == "dark")
            assert _unreadable(review) == []
            chosen = review.form.quality.checkedButton()
            assert chosen is not None
            # The chosen rating, in this palette's highlight, its number readable on it.
            found = re.search(r"background-color: (#\w+); color: (#\w+)", chosen.styleSheet())
            assert found is not None
            highlight, on_highlight = QColor(found.group(1)), QColor(found.group(2))
            palette = QApplication.palette()
            assert on_highlight == palette.color(QPalette.ColorRole.HighlightedText)
            assert highlight.hue() == palette.color(QPalette.ColorRole.Highlight).hue()
            assert contrast(highlight, on_highlight) >= BODY


def test_the_report_view_follows_the_palette_and_stays_readable(
    qtbot: QtBot, app: QApplication, parent: QWidget
) -> None:
    drawn: list[PageColours] = []

    def page(colours: PageColours) -> str:
        drawn.append(colours)
        return (
            f"<html><head><style>body {{ color: {colours.text}; }} .muted {{ color: "
            f"{colours.muted}; }}</style></head><body><h1>Study</h1>"
            "<p class='muted'>generated now</p></body></html>"
        )

    follow_color_scheme(app, "light")
    view = ReportView(parent, "Study", page, {})
    for appearance in ("dark", "light"):
        follow_color_scheme(app, appearance)
        app.processEvents()
        colours = drawn[-1]
        assert colours == page_colours(QApplication.palette())
        base = view.view.palette().color(QPalette.ColorRole.Base)
        assert base == QApplication.palette().color(QPalette.ColorRole.Base)
        assert contrast(QColor(colours.text), base) >= BODY
        assert contrast(QColor(colours.muted), base) >= BODY
        assert colours.text in view.view.toHtml()
    assert len(drawn) == 3  # opened, and once per switch


def test_the_pair_form_draws_its_diff_and_code_again_in_the_new_colours(
    qtbot: QtBot, app: QApplication
) -> None:
    follow_color_scheme(app, "light")
    form = PairForm(current_theme())
    qtbot.addWidget(form)
    code = "def f(x):\n    return x + 1\n"
    correct = TaskRecord(
        1, "r1", "Write f.", code, Kind.CODE, "python", "t", None, None, None, None, None, False
    )
    form.show_record(correct)
    form.flawed.setPlainText("def f(x):\n    return x - 1\n")
    form._refresh()
    light_code = form.correct.toHtml()
    follow_color_scheme(app, "dark")
    assert form.theme is DARK
    assert form.correct.toHtml() != light_code  # the code in github-dark's colours
    added = form.diff._colours._formats["+"].foreground().color()
    assert contrast(added, QApplication.palette().color(QPalette.ColorRole.Base)) >= BODY


@pytest.mark.parametrize("layout", [Layout.COMPARE, Layout.RANK])
def test_compare_and_rank_items_stay_readable_through_a_live_switch(
    qtbot: QtBot, app: QApplication, workspace: Workspace, tmp_path: Path, layout: Layout
) -> None:
    """The answers' titles and tabs, the scale's chosen point, the ranking's buttons and the
    note on assistance, in both palettes."""
    study = comparison_study(workspace, tmp_path)
    ada = next(e for e in evaluators.list_evaluators(workspace) if e.name == "Ada")
    with open_main_window(qtbot, workspace, HeldBackend()) as window:
        _switch(app, window, "light")
        review = start_review(qtbot, window, study, ada)
        index = next(i for i, e in enumerate(review.session.queue) if e.item.layout is layout)
        review.open_index(index)
        qtbot.waitUntil(lambda: review.loaded and review.index == index)
        review.form.digit(1)  # A much better; or answer A ranked first
        for appearance in ("dark", "light", "dark"):
            _switch(app, window, appearance)
            assert _unreadable(review) == [], appearance
            if layout is Layout.COMPARE:
                chosen = review.form.compare.group.checkedButton()
                assert chosen is not None
                found = re.search(r"background-color: (#\w+); color: (#\w+)", chosen.styleSheet())
                assert found is not None
                assert contrast(QColor(found.group(1)), QColor(found.group(2))) >= BODY
                highlight = QApplication.palette().color(QPalette.ColorRole.Highlight)
                assert QColor(found.group(1)).hue() == highlight.hue()  # this palette's
