"""The study report in the app (owner only): the same page `evalstudio report --html` writes,
with the figures given to the view as resources (the view fetches nothing). With no owner
passphrase set, a notice above it says anyone can open it, and offers to set one."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from evalstudio.ui.links import InertBrowser

NO_PASSPHRASE = (
    "<b>No owner passphrase is set.</b> Anyone who opens EvalStudio on this computer can open "
    "this report — which twin each evaluator saw, and how accurate each was — and every other "
    "owner's tool. Set a passphrase, and the app asks it first."
)


def figure_resource(name: str) -> str:
    """The resource name under which the view holds the report's figure `name`."""
    return f"evalstudio-figure-{name}.png"


class ReportView(QDialog):
    def __init__(
        self,
        parent: QWidget,
        title: str,
        page: str,
        figures: dict[str, bytes],
        protected: bool = True,
    ) -> None:
        """`protected`: whether an owner passphrase is set (else the notice shows)."""
        super().__init__(parent)
        self.setWindowTitle(f"Report — {title}")
        self.resize(1120, 820)
        self.view = InertBrowser()
        self.view.setAccessibleName("Study report")
        page_colours = self.view.palette()  # the page is written for white paper, dark or not
        page_colours.setColor(QPalette.ColorRole.Base, QColor("white"))
        page_colours.setColor(QPalette.ColorRole.Text, QColor("black"))
        self.view.setPalette(page_colours)
        for name, png in figures.items():
            image = QImage.fromData(png)  # PNG, recognised by its header
            self.view.document().addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(figure_resource(name)), image
            )
        self.view.setHtml(page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._notice())
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        self.no_passphrase.setVisible(not protected)

    def _notice(self) -> QFrame:
        self.no_passphrase = QFrame()
        self.no_passphrase.setFrameShape(QFrame.Shape.StyledPanel)
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        icon.setPixmap(warning.pixmap(size, size))
        self.no_passphrase_text = QLabel(NO_PASSPHRASE)
        self.no_passphrase_text.setWordWrap(True)
        self.set_passphrase = QPushButton("Set a passphrase…")
        row = QHBoxLayout(self.no_passphrase)
        row.addWidget(icon)
        row.addWidget(self.no_passphrase_text, 1)
        row.addWidget(self.set_passphrase)
        return self.no_passphrase

    def passphrase_set(self) -> None:
        self.no_passphrase.hide()
