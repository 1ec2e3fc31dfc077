"""How the judgment form's chosen ratings look, shared by the built-in form and the rubric."""

from __future__ import annotations

from PySide6.QtGui import QPalette

from evalstudio.ui.palette import readable_under


def checked_style(palette: QPalette) -> str:
    """A chosen rating stands out at a glance, in light and dark alike."""
    on_highlight = palette.color(QPalette.ColorRole.HighlightedText)
    highlight = readable_under(on_highlight, palette.color(QPalette.ColorRole.Highlight)).name()
    text = on_highlight.name()
    return (
        f"QPushButton:checked {{ background-color: {highlight}; color: {text}; "
        f"border: 1px solid {highlight}; border-radius: 3px; padding: 3px; }}"
    )
