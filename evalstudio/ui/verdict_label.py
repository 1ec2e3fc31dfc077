"""A perturbation pair's test verdict in words and colour: verified green, unverified amber,
broken red, with the explanation; greyed out once the twin or the test is edited."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from evalstudio.core.verification import PairVerdict, PairVerification

# (light, dark): each readable on its palette.
VERDICT_COLOURS = {
    PairVerdict.VERIFIED: ("#1b7f3b", "#6fd08c"),
    PairVerdict.UNVERIFIED: ("#a05a00", "#f0b45a"),
    PairVerdict.BROKEN: ("#c62828", "#ff7b72"),
}
VERDICT_WORDS = {
    PairVerdict.VERIFIED: "Verified",
    PairVerdict.UNVERIFIED: "Unverified",
    PairVerdict.BROKEN: "Broken",
}
STALE = "Before your last edit: "


class VerdictLabel(QLabel):
    def __init__(self, dark: bool) -> None:
        super().__init__()
        self.setAccessibleName("Test result")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._shade = 1 if dark else 0
        self._stale = False

    def show_verdict(self, check: PairVerification) -> None:
        why = check.explanation.removeprefix(f"{check.verdict}: ")
        # The explanation quotes the flawed twin's outcome, or the correct one's when broken.
        name, other = (
            ("Flawed", check.flawed)
            if check.verdict is PairVerdict.BROKEN
            else ("Correct", check.correct)
        )
        self.say(
            f"<b>{VERDICT_WORDS[check.verdict]}</b> — {html.escape(why)}<br>"
            f"{name} twin: {html.escape(other.detail)}",
            VERDICT_COLOURS[check.verdict][self._shade],
        )
        output = f"{check.correct.output.strip()}\n{check.flawed.output.strip()}".strip()
        self.setToolTip(output or "The tests printed nothing.")

    def say(self, text: str, colour: str = "") -> None:
        """Show `text` (rich text: escape what it quotes); an empty text clears the label."""
        self._stale = False
        self.setStyleSheet(f"color: {colour};" if colour else "")
        self.setText(text)
        self.setToolTip("")

    def mark_stale(self) -> None:
        """The twin or the test changed: what is shown is about their earlier text."""
        if self.text() and not self._stale:
            self._stale = True
            muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
            self.setStyleSheet(f"color: {muted.name()};")
            self.setText(STALE + self.text())
