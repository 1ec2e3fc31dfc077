"""File › Export: a study's judgments, assistance log, preference pairs or the preferences of
its comparisons and rankings to a file, with a
progress bar; the ground truth and the pairs only once the owner's tools are open, and never
in a session package (it holds no answer key)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import StudySummary
from evalstudio.services.report.exports import ExportFormat, ExportReport, export_study
from evalstudio.services.studies.studies import list_studies
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.owner_gate import OwnerGate

log = logging.getLogger(__name__)

_CONTENTS = {
    "judgments": (
        "Judgments",
        "One record per current judgment: verdicts, ratings, flaws, rationale, active time, "
        "and the assistance the evaluator used.",
    ),
    "events": (
        "Assistance log",
        "Every request to the model and its response: model, parameters, tokens, times, outcome.",
    ),
    "pairs": (
        "Preference pairs (owner)",
        "Prompt, chosen (correct twin) and rejected (flawed twin) of each pair the evaluators' "
        "verdicts tell apart, for reward-model or DPO training.",
    ),
    "preferences": (
        "Preferences from comparisons and rankings",
        "Prompt, chosen and rejected: one record per better–worse pair of answers that an "
        "evaluator's comparison or ranking states, for reward-model or DPO training.",
    ),
}
_WROTE = {
    "judgments": "judgments",
    "events": "assistance requests",
    "pairs": "preference pairs",
    "preferences": "preferences",
}
_JSONL_ONLY = ("pairs", "preferences")
_JSONL, _CSV = "jsonl", "csv"


def open_export(parent: QWidget, context: AppContext, study: str | None) -> ExportDialog:
    """File › Export…: the dialog on `study` (the one under review, else the one chosen on the
    start page) in the app's workspace, behind its owner's gate."""
    package = context.package is not None
    dialog = ExportDialog(parent, context.workspace, context.jobs, context.gate, study, package)
    dialog.show()
    return dialog


class ExportDialog(QDialog):
    progressed = Signal(int, int)  # (done, total), emitted on the DATA lane's thread
    exported = Signal(object)  # the ExportReport

    def __init__(
        self,
        parent: QWidget,
        workspace: Workspace,
        jobs: Jobs,
        gate: OwnerGate,
        study: str | None = None,
        package: bool = False,
    ) -> None:
        """`package`: the workspace is an evaluator's session package (no truth to export)."""
        super().__init__(parent)
        self.workspace = workspace
        self.jobs = jobs
        self.gate = gate
        self.package = package
        self.setWindowTitle("Export")
        self.setMinimumWidth(640)

        self.study = QComboBox()
        self.what = QComboBox()
        for key, (label, _) in _CONTENTS.items():
            self.what.addItem(label, key)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.format = QComboBox()
        self.format.addItem("JSON Lines (.jsonl)", _JSONL)
        self.format.addItem("CSV for spreadsheets (.csv)", _CSV)
        self.truth = QCheckBox("Include the ground truth (twins, planted flaws, manipulations)")
        self.ties = QCheckBox("Include ties (answers the evaluator called about the same)")
        self.unlock = QPushButton("Open the owner's tools…")
        self.unlock.clicked.connect(lambda: self.gate.then(self, self._refresh))
        if package:
            self.truth.setToolTip("A session package holds no answer key: only your own work.")
        self.target = QLineEdit()
        self.target.setPlaceholderText("The file to write")
        self.target.textEdited.connect(self._target_edited)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_target)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        truth_row = QHBoxLayout()
        truth_row.addWidget(self.truth, 1)
        truth_row.addWidget(self.unlock)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Study", self.study)
        form.addRow("Export", self.what)
        form.addRow(self.about)
        form.addRow("Format", self.format)
        form.addRow("", truth_row)
        form.addRow("", self.ties)
        form.addRow("To", target_row)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self._auto_target = True  # the file name follows the choices until the user picks one
        self._running = False
        self._folder = Path.home()
        self.progressed.connect(self._progress)
        for box in (self.study, self.what, self.format):
            box.currentIndexChanged.connect(self._refresh)
        self.truth.toggled.connect(self._refresh)
        self._refresh()
        self.jobs.run(
            Lane.DATA, lambda: list_studies(workspace), done=lambda found: self._fill(found, study)
        )

    # -- the choices --------------------------------------------------------------------------

    def chosen_format(self) -> ExportFormat:
        what = self.what.currentData()
        if what in _JSONL_ONLY:
            return ExportFormat(what)
        return ExportFormat(f"{what}-{self.format.currentData()}")

    def _fill(self, found: list[StudySummary], study: str | None) -> None:
        for summary in found:
            self.study.addItem(summary.study.name, summary.study.name)
        if study is not None and (index := self.study.findData(study)) >= 0:
            self.study.setCurrentIndex(index)
        self._refresh()

    def _refresh(self) -> None:
        """Enable what the role allows and name the file after the choices."""
        if not self._running:  # the outcome shown is of choices since changed
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.status.clear()
        owner = self.gate.unlocked and not self.package
        model = self.what.model()
        assert isinstance(model, QStandardItemModel)  # a combo box's own model
        model.item(self.what.findData("pairs")).setEnabled(owner)
        if not owner and self.what.currentData() == "pairs":
            self.what.setCurrentIndex(0)
        pairs = self.what.currentData() == "pairs"
        jsonl_only = self.what.currentData() in _JSONL_ONLY
        self.format.setEnabled(not jsonl_only)
        if jsonl_only:
            self.format.setCurrentIndex(0)
        self.ties.setVisible(self.what.currentData() == "preferences")
        self.truth.setEnabled(owner and not pairs)
        if not owner:
            self.truth.setChecked(False)
        elif pairs:
            self.truth.setChecked(True)  # pairs are made from the truth
        self.unlock.setVisible(not owner and not self.package)
        self.about.setText(_CONTENTS[self.what.currentData()][1])
        self.export_button.setEnabled(self.study.count() > 0 and not self._running)
        if self._auto_target and self.study.currentData():
            self.target.setText(str(self._folder / self._file_name()))

    def _file_name(self) -> str:
        chosen = self.chosen_format()
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in self.study.currentData())
        truth = "-with-truth" if self.truth.isChecked() and not chosen.needs_truth else ""
        return f"{name}-{chosen.content}{truth}{chosen.suffix}"

    def _target_edited(self) -> None:
        self._auto_target = False

    def choose_target(self) -> None:
        chosen = self.chosen_format()
        pattern = "CSV (*.csv)" if chosen.suffix == ".csv" else "JSON Lines (*.jsonl)"
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.target.text(), pattern)
        if path:
            self.set_target(Path(path))

    def set_target(self, path: Path) -> None:
        self._auto_target = False
        self._folder = path.parent
        self.target.setText(str(path))

    # -- the export ---------------------------------------------------------------------------

    def start(self) -> None:
        """Export on the DATA lane; the bar follows, the outcome shows below it."""
        study, target = self.study.currentData(), self.target.text().strip()
        if not study or not target:
            self.status.setText("Choose a study and a file to write.")
            return
        chosen, with_truth = self.chosen_format(), self.truth.isChecked()
        ties = chosen is ExportFormat.PREFERENCES and self.ties.isChecked()
        workspace, emit = self.workspace, self.progressed.emit
        self._running = True
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the export has counted its rows
        self.status.setText(f"Exporting to {target}…")

        def work() -> ExportReport:
            return export_study(
                workspace,
                study,
                chosen,
                Path(target),
                with_truth=with_truth,
                include_ties=ties,
                progress=emit,
            )

        self.jobs.run(Lane.DATA, work, done=self._done, failed=self._failed)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, report: ExportReport) -> None:
        self._running = False
        self._auto_target = True  # the next export is named after its choices, in this folder
        self.export_button.setEnabled(True)
        self.progress.setValue(self.progress.maximum())
        what = _WROTE[report.format.content]
        truth = " with the ground truth" if report.with_truth else ""
        self.status.setText(f"Wrote {report.records:,} {what}{truth} to {report.path}.")
        self.exported.emit(report)

    def _failed(self, error: BaseException) -> None:
        self._running = False
        self.export_button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        if isinstance(error, EvalStudioError):
            self.status.setText(f"Nothing written: {error}")
        else:
            log.error("export failed", exc_info=error)
            self.status.setText(f"Nothing written: something went wrong ({error!r}).")
