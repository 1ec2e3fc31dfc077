"""Text views that never fetch anything, and links that open only after the user confirms."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QTextBrowser, QWidget

OPENABLE = {"http", "https", "mailto"}


class InertBrowser(QTextBrowser):
    """A QTextBrowser that loads no resource (QTextBrowser would read file: and qrc: URLs
    named by an image) and does not follow links itself."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(lambda url: confirm_and_open(self, url))

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        return None


def confirm_and_open(parent: QWidget, url: QUrl) -> bool:
    """Open an http(s)/mailto link in the system browser if the user says so; others are inert."""
    if url.scheme().lower() not in OPENABLE:
        return False
    answer = QMessageBox.question(
        parent,
        "Open link?",
        f"Open this link in your web browser?\n\n{url.toString()}",
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Open:
        return False
    return QDesktopServices.openUrl(url)
