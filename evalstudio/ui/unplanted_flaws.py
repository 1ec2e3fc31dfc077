"""Owner › Unplanted flaws: the flaws evaluators reported that match nothing planted, each
shown on its candidate, for the owner to mark real or not (the report counts the real ones)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.model import Kind
from evalstudio.render.code_html import code_to_html
from evalstudio.render.theme import Theme
from evalstudio.services.review.flaw_review import UnplantedFlaw, review_flaw, unplanted_flaws
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.labels import lines_text
from evalstudio.ui.links import InertBrowser
from evalstudio.ui.screen_fit import fit_to_screen

_COLUMNS = ("Item", "Twin", "Evaluator", "Condition", "Where", "Severity", "Flaw", "Real?")
_REVIEW = {None: "—", True: "real", False: "not real"}


class UnplantedFlawsDialog(QDialog):
    reviewed = Signal(str)  # the flaw's reference, once its review is stored

    def __init__(
        self, parent: QWidget, workspace: Workspace, jobs: Jobs, study: str, theme: Theme
    ) -> None:
        super().__init__(parent)
        self.workspace, self.jobs, self.study, self.theme = workspace, jobs, study, theme
        self.flaws: list[UnplantedFlaw] = []
        self.setWindowTitle(f"Unplanted flaws — {study}")
        fit_to_screen(self, 1000, 720)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setAccessibleName("Unplanted flaws")
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.currentCellChanged.connect(lambda row, *_: self._show(row))
        self.candidate = InertBrowser()
        self.candidate.setAccessibleName("The flaw on its candidate")
        self.summary = QLabel()
        self.real_button = QPushButton("&Real (R)")
        self.not_real_button = QPushButton("&Not real (N)")
        self.real_button.clicked.connect(lambda: self.mark(True))
        self.not_real_button.clicked.connect(lambda: self.mark(False))
        for key, real in (("R", True), ("N", False)):
            QShortcut(QKeySequence(key), self, lambda real=real: self.mark(real))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.candidate)
        splitter.setSizes([400, 300])
        marks = QHBoxLayout()
        marks.addWidget(self.summary, 1)
        marks.addWidget(self.real_button)
        marks.addWidget(self.not_real_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(marks)
        layout.addWidget(buttons)
        self._enable(False)
        self.summary.setText("Reading the study's judgments…")
        jobs.run(Lane.DATA, lambda: unplanted_flaws(workspace, study), done=self._fill)

    def _fill(self, flaws: list[UnplantedFlaw]) -> None:
        self.flaws = flaws
        self.table.setRowCount(len(flaws))
        for row, flaw in enumerate(flaws):
            self._set_row(row, flaw)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        if flaws:
            self.table.selectRow(0)
        else:
            self.candidate.setPlainText("No evaluator reported a flaw away from the planted ones.")
        self._update_summary()

    def _set_row(self, row: int, flaw: UnplantedFlaw) -> None:
        f = flaw.flaw
        cells = (
            flaw.item_name,
            flaw.truth.value,
            flaw.evaluator,
            flaw.condition.value if flaw.condition else "—",
            _place(flaw),
            f.severity.value,
            " ".join(f.description.split()),
            "not counted" if flaw.outside else _REVIEW[flaw.real],
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.table.setItem(row, column, item)

    def mark(self, real: bool) -> None:
        """Store the owner's review of the selected flaw, then move to the next one."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.flaws):
            return
        ref = self.flaws[row].ref
        self._enable(False)

        def stored(flaw: UnplantedFlaw) -> None:
            self.flaws[row] = flaw
            self._set_row(row, flaw)
            self._update_summary()
            self.reviewed.emit(ref)
            if row + 1 < len(self.flaws):
                self.table.selectRow(row + 1)
            else:
                self._enable(True)

        def refused(error: BaseException) -> None:
            self._enable(True)
            self.summary.setText(str(error))

        self.jobs.run(
            Lane.DATA,
            lambda: review_flaw(self.workspace, self.study, ref, real),
            done=stored,
            failed=refused,
        )

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.flaws):
            return
        flaw = self.flaws[row]
        self.candidate.setHtml(_candidate_html(flaw, self.theme))
        self._enable(not flaw.outside)  # counted nowhere: nothing to review

    def _enable(self, on: bool) -> None:
        self.real_button.setEnabled(on)
        self.not_real_button.setEnabled(on)

    def _update_summary(self) -> None:
        reviewed = sum(f.real is not None for f in self.flaws)
        real = sum(f.real is True for f in self.flaws)
        away = sum(f.outside for f in self.flaws)
        outside = f" · {away} outside the answer, not counted" if away else ""
        self.summary.setText(
            f"{len(self.flaws) - away} unplanted flaws · {reviewed} reviewed · {real} real"
            f"{outside}. R marks the selected flaw real, N not real; the newest mark counts."
        )


def _place(flaw: UnplantedFlaw) -> str:
    f = flaw.flaw
    if f.lines is not None:
        place = lines_text(f.lines)
    elif f.span is not None:
        place = f"characters {f.span.start}–{f.span.end}"
    else:
        return "no place given"
    return f"{place}: outside the answer, not counted" if flaw.outside else place


def _candidate_html(flaw: UnplantedFlaw, theme: Theme) -> str:
    """The candidate with the reported flaw's place shaded, under what was claimed and what
    was planted (on a flawed twin)."""
    f = flaw.flaw
    esc = html.escape
    parts = [f"<p><b>{esc(f.severity.value)}</b>: {esc(f.description)}</p>"]
    if flaw.planted is not None:
        where = f" ({lines_text(flaw.planted.lines)})" if flaw.planted.lines else ""
        parts.append(
            f"<p style='color: {theme.line_number};'>Planted on this twin{where}: "
            f"{esc(flaw.planted.description)}</p>"
        )
    if flaw.kind is Kind.CODE:
        parts.append(code_to_html(flaw.candidate, flaw.language, f.lines, theme))
    elif f.span is not None:
        text, span = flaw.candidate, f.span
        parts.append(
            "<p style='white-space: pre-wrap;'>"
            f"{esc(text[: span.start])}<span style='background-color: {theme.marked_line};'>"
            f"{esc(text[span.start : span.end])}</span>{esc(text[span.end :])}</p>"
        )
    else:
        parts.append(f"<p style='white-space: pre-wrap;'>{esc(flaw.candidate)}</p>")
    return "".join(parts)
