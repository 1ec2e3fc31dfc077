"""Light and dark: follow the system's colour scheme (or the user's choice), pick the
matching render colours, and let every widget follow a change live.

Qt's platform themes give a dark palette on some desktops only; where the system asks for dark
and the palette is still light (Xvfb, bare window managers), a dark Fusion palette is set.

A widget with a style sheet keeps the palette it was polished with: Qt sends it no palette
change. So no colour is written into a widget once: `on_palette_change` and `set_style` draw it
from the palette now and again on every change (`palette_changes().changed`, emitted here).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

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


class Tone(Enum):
    """A status colour as (on a light palette, on a dark one): each at least 4.5:1 against
    its palette's window and base."""

    ERROR = ("#c62828", "#ff7b72")
    GOOD = ("#1b7f3b", "#6fd08c")
    WARNING = ("#a05a00", "#f0b45a")


def tone(palette: QPalette, which: Tone) -> QColor:
    light, dark = which.value
    return QColor(dark if is_dark(palette) else light)


class PaletteChanges(QObject):
    changed = Signal()  # the app's palette is now another (light and dark switched)


def palette_changes() -> PaletteChanges:
    """The app's one palette-changed signal (it lives as long as the QApplication)."""
    app = QApplication.instance()
    assert app is not None
    found = app.findChild(PaletteChanges)
    return found if found is not None else PaletteChanges(app)


class _Follower(QObject):
    """Calls `apply` on every palette change; a child of the widget, so it ends with it."""

    def __init__(self, widget: QWidget, apply: Callable[[], None]) -> None:
        super().__init__(widget)
        self._apply = apply
        palette_changes().changed.connect(self.follow)

    def follow(self) -> None:
        self._apply()


def on_palette_change(widget: QWidget, apply: Callable[[], None]) -> None:
    """Call `apply` now, and after every change of the app's palette while `widget` lives."""
    apply()
    _Follower(widget, apply)


def set_style(widget: QWidget, sheet: Callable[[QPalette], str]) -> None:
    """Give `widget` the style sheet `sheet` draws from the app's palette, drawn again on every
    change. Cleared first: setting a sheet again polishes the widget with the current palette."""

    on_palette_change(widget, lambda: restyle(widget, sheet(QApplication.palette())))


def restyle(widget: QWidget, sheet: str) -> None:
    """Set `widget`'s style sheet so that it is polished with the app's current palette."""
    widget.setStyleSheet("")
    widget.setStyleSheet(sheet)


def error_label(widget: QWidget) -> None:
    """Show `widget`'s text in the palette's error colour."""
    set_style(widget, lambda palette: f"color: {tone(palette, Tone.ERROR).name()};")


def readable_under(text: QColor, background: QColor, ratio: float = 4.5) -> QColor:
    """`background`, darkened (under light text) or lightened (under dark text) just enough
    for `text` on it to reach `ratio` (Fusion's light highlight gives white text 3.7:1)."""
    colour = QColor(background)
    light_text = text.lightness() >= 128
    for _ in range(40):
        if contrast(text, colour) >= ratio:
            break
        colour = colour.darker(106) if light_text else colour.lighter(106)
    return colour


def contrast(a: QColor, b: QColor) -> float:
    """WCAG's contrast ratio of two colours (1 to 21; body text wants 4.5 or more)."""

    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(colour.redF())
            + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


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
    palette_changes().changed.emit()
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
