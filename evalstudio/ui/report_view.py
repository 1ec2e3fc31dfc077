"""The study report in the app (owner only): the same page `evalstudio report --html` writes,
with the figures given to the view as resources (the view fetches nothing)."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from evalstudio.ui.links import InertBrowser


def figure_resource(name: str) -> str:
    """The resource name under which the view holds the report's figure `name`."""
    return f"evalstudio-figure-{name}.png"


class ReportView(QDialog):
    def __init__(self, parent: QWidget, title: str, page: str, figures: dict[str, bytes]) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Report — {title}")
        self.resize(1120, 820)
        self.view = InertBrowser()
        self.view.setAccessibleName("Study report")
        for name, png in figures.items():
            image = QImage.fromData(png)  # PNG, recognised by its header
            self.view.document().addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(figure_resource(name)), image
            )
        self.view.setHtml(page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
