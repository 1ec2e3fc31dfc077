"""The study report in the app (owner only): the same page `evalstudio report --html` writes,
with the figures given to the view as resources (the view fetches nothing), in the colours of
the app's palette (drawn again when it changes; the exported file keeps print colours). With no
owner passphrase set, a notice above it says anyone can open it, and offers to set one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
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

from evalstudio.render.report_html import PageColours
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.palette import on_palette_change
from evalstudio.ui.screen_fit import fit_to_screen

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
        page: Callable[[PageColours], str],
        figures: dict[str, bytes],
        protected: bool = True,
    ) -> None:
        """`page`: the report's page in given colours. `protected`: whether an owner
        passphrase is set (else the notice shows)."""
        super().__init__(parent)
        self.setWindowTitle(f"Report — {title}")
        fit_to_screen(self, 1120, 820)
        self.view = InertBrowser()
        self.view.setAccessibleName("Study report")
        self._page, self._figures = page, figures
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._notice())
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        self.no_passphrase.setVisible(not protected)
        on_palette_change(self.view, self._draw)

    def _draw(self) -> None:
        """The page in the palette's colours, its place kept. The figures go in again:
        setHtml drops a document's resources."""
        bar = self.view.verticalScrollBar()
        kept = bar.value()
        document = self.view.document()
        for name, png in self._figures.items():
            image = QImage.fromData(png)  # PNG, recognised by its header
            document.addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(figure_resource(name)), image
            )
        self.view.setHtml(self._page(page_colours(QApplication.palette())))
        bar.setValue(kept)

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


def page_colours(palette: QPalette) -> PageColours:
    """The report's colours on `palette`: its text on its base; the muted text and the rules
    mixed from the two (a muted text keeps a 4.5:1 contrast on either palette)."""
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    return PageColours(
        text=text.name(),
        muted=_mix(text, base, 0.72),
        rule=_mix(text, base, 0.2),
        lead_background=palette.color(QPalette.ColorRole.AlternateBase).name(),
    )


def _mix(a: QColor, b: QColor, share_of_a: float) -> str:
    def channel(x: int, y: int) -> int:
        return round(x * share_of_a + y * (1 - share_of_a))

    return QColor(
        channel(a.red(), b.red()), channel(a.green(), b.green()), channel(a.blue(), b.blue())
    ).name()
