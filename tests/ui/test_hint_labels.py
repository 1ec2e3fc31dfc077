"""Hint text (what a scale's ends mean, the start page's paths and keys) is muted by the
palette's placeholder role, never by disabling the label, whose grey is meant to be hard to
read (1.6:1 on Fusion's light window)."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from evalstudio.ui.labels import hint
from evalstudio.ui.review.judgment_form import JudgmentFormView


def test_the_scales_say_what_their_ends_mean_in_readable_hint_text(qtbot: QtBot) -> None:
    form = JudgmentFormView()
    qtbot.addWidget(form)
    meanings = form.findChildren(QLabel, "scale_meaning")
    assert [m.text() for m in meanings] == ["1 poor · 7 excellent", "1 guessing · 5 certain"]
    for label in meanings:
        assert label.isEnabled()
        assert label.foregroundRole() is QPalette.ColorRole.PlaceholderText


def test_a_hint_follows_the_palette_by_its_role() -> None:
    label = hint("Workspace: /tmp/w.sqlite")
    assert label.isEnabled() and label.foregroundRole() is QPalette.ColorRole.PlaceholderText
