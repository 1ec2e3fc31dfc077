"""Windows and dialogs sized to the screen they open on: the size they would like, never more
than the screen's free area (its available geometry: no taskbar, no panel) leaves, and placed
inside it, so nothing (a Close button, Start reviewing) opens off-screen on a small laptop."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# What a window manager adds around a window (title bar, borders), which resize() leaves out.
FRAME_WIDTH, FRAME_HEIGHT = 16, 40


def available_geometry(widget: QWidget) -> QRect:
    """The free area of the screen `widget` is on (the primary screen before it is shown)."""
    parent = widget.parentWidget()
    screen = (parent.window() if parent else widget).screen()
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Size `window` to `width`×`height`, or to as much as its screen's free area holds, frame
    included; then move it inside that area (a dialog stays centred on its parent if it can)."""
    area = available_geometry(window)
    size_w = max(1, min(width, area.width() - FRAME_WIDTH))
    size_h = max(1, min(height, area.height() - FRAME_HEIGHT))
    window.resize(size_w, size_h)
    parent = window.parentWidget()
    if parent is not None:
        centre = parent.window().frameGeometry().center()
        x, y = centre.x() - size_w // 2, centre.y() - size_h // 2
    else:
        x = area.x() + (area.width() - size_w - FRAME_WIDTH) // 2
        y = area.y() + (area.height() - size_h - FRAME_HEIGHT) // 2
    x = min(max(x, area.x()), area.right() + 1 - size_w - FRAME_WIDTH)
    y = min(max(y, area.y()), area.bottom() + 1 - size_h - FRAME_HEIGHT)
    window.move(max(x, area.x()), max(y, area.y()))
