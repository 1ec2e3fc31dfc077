"""The study report in the app (owner only): the same page `evalstudio report --html` writes,
with the figure given to the view as a resource (the view fetches nothing)."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from evalstudio.ui.links import InertBrowser

FIGURE = "evalstudio-figure.png"


class ReportView(QDialog):
    def __init__(self, parent: QWidget, title: str, page: str, figure: bytes | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Report — {title}")
        self.resize(1120, 820)
        self.view = InertBrowser()
        self.view.setAccessibleName("Study report")
        if figure is not None:
            image = QImage.fromData(figure)  # PNG, recognised by its header
            self.view.document().addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(FIGURE), image
            )
        self.view.setHtml(page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
