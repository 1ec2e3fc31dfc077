"""Owner › Assistant quality: the loaded model measured on the study's pairs (services/
assistant_quality.py) as a background job on the MODEL lane, pair by pair with a Cancel, then
a table of the figures and how to read them."""

from __future__ import annotations

import html
import logging
import threading

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.plurals import counted
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.report.assistant_quality import (
    AssistantQuality,
    Figure,
    measure_assistant_quality,
)
from evalstudio.services.studies import studies
from evalstudio.ui.model_host import ModelHost
from evalstudio.ui.screen_fit import fit_to_screen

log = logging.getLogger(__name__)

COLUMNS = ("Assistance", "Measure", "Value", "95% interval", "n")
READING = (
    "How to read it: if the critique's catch rate is near 0 and discrimination near 50%, the "
    "model is not worth studying — evaluators relying on it would be relying on chance. An "
    "interval shows how far the figure can move with this few pairs."
)
NOT_LOADED = (
    "The model is not loaded yet: wait until the status bar says it is ready, then open "
    "Owner › Assistant quality again."
)


class AssistantQualityDialog(QDialog):
    # Emitted on the model lane by the measuring job; Qt delivers it on the GUI thread.
    progressed = Signal(int, int)

    def __init__(self, parent: QWidget, host: ModelHost, study: str) -> None:
        super().__init__(parent)
        self.host, self.study = host, study
        self.quality: AssistantQuality | None = None
        self.running = False
        self._cancel = threading.Event()
        self.setWindowTitle(f"Assistant quality — {study}")
        fit_to_screen(self, 900, 560)
        model, name = html.escape(host.model_id), html.escape(study)
        intro = QLabel(
            f"How good is <b>{model}</b> on the pairs of <b>{name}</b>? Each pair's twins are "
            "critiqued (stored pre-generated critiques reused) and scored yes/no, and the flawed "
            "twin's lines scored for suspicion. Nothing here is shown to evaluators; their "
            "assistant waits until this ends."
        )
        intro.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until the first pair starts
        self.progress.setFormat("Starting…")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Assistant quality figures")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.reading = QLabel(READING)
        self.reading.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reading)
        layout.addWidget(buttons)
        self.reading.hide()  # the table stays, empty until the figures come: a steady layout
        self.progressed.connect(self._progress)
        self._start()

    def _start(self) -> None:
        name, cancel, progressed = self.study, self._cancel, self.progressed

        def work(assistant: Assistant) -> AssistantQuality:
            study = studies.study_named(assistant.workspace, name)
            return measure_assistant_quality(
                assistant, study.id, on_pair=progressed.emit, cancel=cancel
            )

        self.running = self.host.run_with_assistant(work, self._show, self._failed)
        if not self.running:
            self._halted("Not started", NOT_LOADED)

    def cancel(self) -> None:
        """Stop after the token or scored line in progress; the pairs done are shown."""
        if self.running:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Cancelling…")

    def reject(self) -> None:
        self.cancel()  # closed while running: the model is freed for the evaluators
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()
        super().closeEvent(event)

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(
            f"Pair {done + 1} of {total}" if done < total else _all_measured(total)
        )

    def _show(self, quality: AssistantQuality) -> None:
        self.quality = quality
        done = len(quality.pairs) + len(quality.failed)
        self._stopped(_summary(quality))
        self.progress.setRange(0, max(quality.total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(
            f"Cancelled after {done} of {counted(quality.total, 'pair')}"
            if quality.cancelled
            else _all_measured(quality.total)
        )
        if not quality.pairs:
            return
        figures = quality.figures()
        self.table.setRowCount(len(figures))
        for row, figure in enumerate(figures):
            for column, text in enumerate(_cells(figure)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.table.setItem(row, column, cell)
        for column in (0, 2, 3, 4):  # the measure's column takes the rest
            self.table.resizeColumnToContents(column)
        self.reading.show()

    def _failed(self, error: BaseException) -> None:
        """A failure of the whole run (one pair's failure is only listed): a message, never a
        traceback."""
        if isinstance(error, EvalStudioError):
            text = f"The measurement stopped: {error}"
        else:
            log.error("assistant quality failed", exc_info=error)
            text = f"Something went wrong: {error!r}. The details are in the log."
        self._halted("Stopped", text)

    def _halted(self, bar: str, text: str) -> None:
        self.progress.setRange(0, 1)  # no longer busy
        self.progress.setValue(0)  # a bar below its range shows no text
        self.progress.setFormat(bar)
        self._stopped(text)

    def _stopped(self, text: str) -> None:
        self.running = False
        self.cancel_button.setEnabled(False)
        self.status.setText(text)


def _all_measured(total: int) -> str:
    return "The pair measured" if total == 1 else f"All {total} pairs measured"


def _summary(quality: AssistantQuality) -> str:
    if quality.total == 0:
        return "This study has no pairs: every measure needs a correct twin and its flawed twin."
    measured = f"{quality.model}: {len(quality.pairs)} of {counted(quality.total, 'pair')} measured"
    if quality.cancelled:
        measured += " before the cancel; the figures count those only"
    lines = [measured + "."]
    if quality.failed:
        lines.append(
            f"{len(quality.failed)} left out because a request failed — "
            + "; ".join(quality.failed[:3])
            + (" …" if len(quality.failed) > 3 else "")
        )
    return "\n".join(lines)


def _cells(figure: Figure) -> tuple[str, str, str, str, str]:
    ci = figure.interval
    interval = f"{_value(figure, ci.low)} to {_value(figure, ci.high)}" if ci else "—"
    return (
        figure.kind,
        figure.measure,
        _value(figure, figure.value),
        interval,
        f"{figure.n} {figure.counted}",
    )


def _value(figure: Figure, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0%}" if figure.percent else f"{value:.2f}"
