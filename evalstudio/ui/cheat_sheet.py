"""The keyboard cheat sheet (? or F1): every action and its keys, by group."""

from __future__ import annotations

import html

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from evalstudio.ui.review.queue_list import MARK_LEGEND
from evalstudio.ui.screen_fit import fit_to_screen
from evalstudio.ui.shortcuts import ACTIONS, keys_of


def cheat_sheet_html(overrides: dict[str, str]) -> str:
    rows: list[str] = []
    group = ""
    for action in ACTIONS:
        if action.group != group:
            group = action.group
            rows.append(f'<tr><td colspan="2"><h3>{html.escape(group)}</h3></td></tr>')
        keys = " or ".join(
            f"<b>{html.escape(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText))}"
            "</b>"
            for k in keys_of(action.id, overrides)
        )
        rows.append(
            f'<tr><td style="padding-right: 24px">{keys or "—"}</td>'
            f"<td>{html.escape(action.label)}</td></tr>"
        )
    note = (
        "<p>Single keys act when the cursor is not in a text field. <b>Esc</b> leaves a "
        "text field (the chat, the rationale, a flaw's description, the Run input) for the "
        "candidate; a second Esc stops a response. Only /, N, L and G put the cursor in a "
        "field (and Q, on a study's text question). Tab and Shift+Tab go round the whole "
        "view.</p>"
        "<p>On a rubric question (Q / Shift+Q): the digits choose a point of a scale (0 for "
        "10) or the option they stand before, or toggle it where several may apply; ← → move "
        "along a scale or the options; Esc back to the candidate.</p>"
        "<p>A compare item shows answers A (left) and B (right): the digits choose a point of "
        "the scale (1 A much better … 5 B much better), Alt+digit the confidence; with the "
        "assistant, M asks which answer is better, and a critique, fact-check or explanation "
        "is of the answer you are on (] and [ or a click move to the other). A rank item "
        "shows one answer at a time ([ and ] or ← → in the order list for another); the "
        "keyboard starts in the order list, where an answer's letter (or, anywhere, its "
        "digit: 1 for A) puts it next, best first, Backspace takes the last back and Alt+↑/↓ "
        "move the chosen one; entries can be dragged too.</p>"
        f"<p>The queue's marks: {html.escape(' · '.join(MARK_LEGEND))}.</p>"
        "<p>Change any key in Settings › Keyboard.</p>"
    )
    return f"<table>{''.join(rows)}</table>{note}"


class CheatSheet(QDialog):
    def __init__(self, parent: QWidget, overrides: dict[str, str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        fit_to_screen(self, 520, 640)
        self.view = QTextBrowser()
        self.view.setHtml(cheat_sheet_html(overrides))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
