"""Light and dark: follow the system's colour scheme (or the user's choice), and pick the
matching render colours.

Qt's platform themes give a dark palette on some desktops only; where the system asks for dark
and the palette is still light (Xvfb, bare window managers), a dark Fusion palette is set.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from evalstudio.render.theme import DARK, LIGHT, Theme

_DARK_COLOURS = {
    QPalette.ColorRole.Window: "#353535",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#232323",
    QPalette.ColorRole.AlternateBase: "#2b2b2b",
    QPalette.ColorRole.ToolTipBase: "#2b2b2b",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8c8c8c",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#454545",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Link: "#6cb6ff",
    QPalette.ColorRole.Highlight: "#2f6fb2",
    QPalette.ColorRole.HighlightedText: "#ffffff",
}


APPEARANCES = ("system", "light", "dark")


def follow_color_scheme(app: QApplication, appearance: str = "system") -> Theme:
    """Make the palette match the user's choice (`appearance`), by default the system's
    scheme; return the colours for rendered content."""
    if appearance == "system":
        wants_dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    else:
        wants_dark = appearance == "dark"
    if wants_dark and not is_dark(app.palette()):
        app.setStyle("Fusion")
        app.setPalette(_dark_palette())
    elif not wants_dark and is_dark(app.palette()) and app.property("evalstudio_dark"):
        app.setPalette(app.style().standardPalette())
    app.setProperty("evalstudio_dark", wants_dark)
    return current_theme()


def current_theme() -> Theme:
    """The render colours of the palette in use."""
    return DARK if is_dark(QApplication.palette()) else LIGHT


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK_COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette
