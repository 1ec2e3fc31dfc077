"""The suspicion heat strip and the top-three list: painted per line, light and dark; a click
on a listed line says which line to show."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QTextBrowser, QWidget
from pytestqt.qtbot import QtBot

from evalstudio.core.model import LineRange
from evalstudio.core.suspicion import code_units
from evalstudio.render.theme import DARK, LIGHT
from evalstudio.ui.review.suspicion_strip import SuspicionStrip, TopLines

CODE = "\n".join(f"x{n} = {n}" for n in range(1, 9))


def test_the_strip_paints_the_most_suspicious_line_strongest(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    browser = QTextBrowser()
    browser.setPlainText(CODE)
    strip = SuspicionStrip(browser)
    layout = QHBoxLayout(window)
    layout.addWidget(strip)
    layout.addWidget(browser)
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)
    units = code_units(CODE)
    scores = [0.1, 0.1, 0.95, 0.1, 0.4, 0.1, 0.1, 0.1]
    for theme in (LIGHT, DARK):
        strip.set_theme(theme)
        strip.show_scores(units, scores)
        image = strip.grab().toImage()
        hot, cool = strip.band(3), strip.band(1)
        assert hot is not None and cool is not None
        hot_px = image.pixelColor(hot.center())
        cool_px = image.pixelColor(cool.center())
        assert hot_px.red() > hot_px.blue() + 60, theme
        assert hot_px != cool_px
    clicked: list[LineRange] = []
    strip.line_clicked.connect(clicked.append)
    band = strip.band(5)
    assert band is not None
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=band.center())
    assert clicked == [LineRange(5, 5)]

    top = TopLines()
    qtbot.addWidget(top)
    top.show_scores(units, scores)
    assert top.count() == 3 and top.item(0).text().startswith("Line 3 · 95%")
    chosen: list[LineRange] = []
    top.line_chosen.connect(chosen.append)
    top.setCurrentRow(1)
    assert chosen == [LineRange(5, 5)]
