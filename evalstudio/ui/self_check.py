"""The Qt part of `evalstudio --self-test`: Qt starts (offscreen, so no display is needed) and
draws a widget with rich text, which needs the platform plugin, fonts and image support."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtWidgets import QApplication, QLabel

from evalstudio.ui.display import ensure_utf8_locale


def qt_check() -> str:
    """Draw a label offscreen into a PNG; what Qt found, or an exception if it could not."""
    ensure_utf8_locale()
    app = QApplication.instance() or QApplication(["evalstudio", "-platform", "offscreen"])
    label = QLabel("<h1>EvalStudio</h1><p>self-test <code>x = 1</code></p>")
    label.resize(320, 120)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not label.grab().save(buffer, "PNG") or buffer.size() == 0:
        raise RuntimeError("Qt could not draw a widget")
    platform = QApplication.platformName() if isinstance(app, QApplication) else "?"
    return f"Qt (PySide6 {pyside_version}) drew a widget on the '{platform}' platform"
