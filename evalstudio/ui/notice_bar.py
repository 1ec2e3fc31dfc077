"""A notice above the window's page that stays until dismissed, without stopping the work (the
status bar's messages fade in seconds; a dialog would take the keyboard)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QToolButton


class NoticeBar(QFrame):
    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Notice")
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        info = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        icon.setPixmap(info.pixmap(size, size))
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.dismiss = QToolButton()
        self.dismiss.setText("Dismiss")
        self.dismiss.setAccessibleName("Dismiss the notice")
        self.dismiss.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(icon)
        row.addWidget(self.text, 1)
        row.addWidget(self.dismiss)
        self.hide()

    def show_text(self, text: str) -> None:
        self.text.setText(text)
        self.show()
