"""A perturbation pair's test verdict in words and colour: verified green, unverified amber,
broken red, with the explanation; greyed out once the twin or the test is edited."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel

from evalstudio.core.verification import PairVerdict, PairVerification
from evalstudio.ui.palette import Tone, restyle, set_style, tone

VERDICT_TONES = {
    PairVerdict.VERIFIED: Tone.GOOD,
    PairVerdict.UNVERIFIED: Tone.WARNING,
    PairVerdict.BROKEN: Tone.ERROR,
}
VERDICT_WORDS = {
    PairVerdict.VERIFIED: "Verified",
    PairVerdict.UNVERIFIED: "Unverified",
    PairVerdict.BROKEN: "Broken",
}
STALE = "Before your last edit: "


class VerdictLabel(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Test result")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._tone: Tone | None = None
        self._stale = False
        set_style(self, self._sheet)

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
            VERDICT_TONES[check.verdict],
        )
        output = f"{check.correct.output.strip()}\n{check.flawed.output.strip()}".strip()
        self.setToolTip(output or "The tests printed nothing.")

    def say(self, text: str, colour: Tone | None = None) -> None:
        """Show `text` (rich text: escape what it quotes) in `colour`; an empty text clears
        the label."""
        self._stale, self._tone = False, colour
        self._restyle()
        self.setText(text)
        self.setToolTip("")

    def mark_stale(self) -> None:
        """The twin or the test changed: what is shown is about their earlier text."""
        if self.text() and not self._stale:
            self._stale = True
            self._restyle()
            self.setText(STALE + self.text())

    def _restyle(self) -> None:
        restyle(self, self._sheet(QApplication.palette()))

    def _sheet(self, palette: QPalette) -> str:
        if self._stale:
            return f"color: {palette.color(QPalette.ColorRole.PlaceholderText).name()};"
        return f"color: {tone(palette, self._tone).name()};" if self._tone else ""
