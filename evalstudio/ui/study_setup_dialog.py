"""Study setup: the owner fills in a study definition, checks the plan and its power, and saves
study.toml (the same file `evalstudio study create` reads) and creates the study."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.assist_kinds import DEFAULT_ASSIST_KINDS, spec
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition, parse_definition
from evalstudio.services.sandbox.pair_tests import TRUST_NOTE
from evalstudio.services.studies.setup import (
    StudyOverview,
    check_study_file,
    create_study,
    overview_text,
    write_definition,
)
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.palette import error_label
from evalstudio.ui.screen_fit import fit_to_screen

_KIND_LABELS = {k: spec(k).label for k in DEFAULT_ASSIST_KINDS}


class StudySetupDialog(QDialog):
    created = Signal(str)  # the new study's name

    def __init__(self, parent: QWidget, workspace: Workspace, jobs: Jobs) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.jobs = jobs
        self.setWindowTitle("New study")
        fit_to_screen(self, 900, 720)

        self.name = QLineEdit()
        self.tasks = _PathField("Task file", "Task files (*.jsonl *.csv)")
        self.guidelines = _PathField("Guidelines", "Markdown (*.md *.txt)")
        self.seed = QLineEdit(os.urandom(4).hex())
        self.evaluators = QPlainTextEdit()
        self.evaluators.setPlaceholderText("One name per line")
        self.evaluators.setMaximumHeight(110)
        self.conditions = {c: QCheckBox(c.value) for c in Condition}
        for condition in (Condition.UNASSISTED, Condition.ASSISTED):
            self.conditions[condition].setChecked(True)
        self.misleading_p = _percent(30)
        self.kinds = {k: QCheckBox(label) for k, label in _KIND_LABELS.items()}
        for box in self.kinds.values():
            box.setChecked(True)
        self.per_pair = QSpinBox()
        self.per_pair.setRange(0, 1000)
        self.per_pair.setSpecialValueText("every evaluator")
        self.gold_rate = _percent(0)
        self.gold_rate.setMaximum(95)
        self.commit_first = QCheckBox(
            "Evaluators commit a first verdict (or pick, or order) before the assistant opens"
        )
        self.pregenerated = QCheckBox("Show responses prepared in advance (evalstudio pregen)")
        self.expected = _percent(27)
        self.description = QLineEdit()

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Task file", self.tasks)
        form.addRow("Guidelines (optional)", self.guidelines)
        form.addRow("Evaluators", self.evaluators)
        misleading = _row(*self.conditions.values(), QLabel("misleading rate"), self.misleading_p)
        form.addRow("Conditions", misleading)
        form.addRow("Assistance", _row(*self.kinds.values()))
        form.addRow("Judgments per pair", self.per_pair)
        form.addRow("Gold items in each queue", self.gold_rate)
        form.addRow("", self.commit_first)
        form.addRow("", self.pregenerated)
        form.addRow("Expected unassisted detection", self.expected)
        form.addRow("Random seed", self.seed)
        form.addRow("Description", self.description)

        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setPlaceholderText(
            "Check shows each evaluator's queue, the power of the design and what the pairs' "
            "tests say."
        )
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        error_label(self.problem)
        self.check_button = QPushButton("Check")
        self.check_button.clicked.connect(self.check)
        self.save_button = QPushButton("Save definition…")
        self.save_button.clicked.connect(self.save)
        self.create_button = QPushButton("Save and create study")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.save_and_create)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = _row(self.check_button, self.save_button, self.create_button, cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.saved_to: Path | None = None

    # -- the definition -------------------------------------------------------------------------

    def definition(self) -> StudyDefinition | list[str]:
        """What the form says, as a definition, or every problem with it."""
        data: dict[str, object] = {
            "name": self.name.text().strip(),
            "tasks": self.tasks.text(),
            "seed": self.seed.text().strip(),
            "evaluators": [
                n.strip() for n in self.evaluators.toPlainText().splitlines() if n.strip()
            ],
            "conditions": [c.value for c, box in self.conditions.items() if box.isChecked()],
            "misleading_p": self.misleading_p.value() / 100,
            "assist_kinds": [k.value for k, box in self.kinds.items() if box.isChecked()],
            "gold_rate": self.gold_rate.value() / 100,
            "commit_before_reveal": self.commit_first.isChecked(),
            "pregenerated": self.pregenerated.isChecked(),
            "expected_detection": self.expected.value() / 100,
            "description": self.description.text().strip(),
        }
        if self.per_pair.value():
            data["judgments_per_pair"] = self.per_pair.value()
        if self.guidelines.text():
            data["guidelines"] = self.guidelines.text()
        return parse_definition(data)

    def check(self) -> None:
        """Show the plan the definition makes, without writing anything to the workspace."""
        found = self.definition()
        if isinstance(found, list):
            self._show_problems(found)
            return
        folder = Path(tempfile.mkdtemp(prefix="evalstudio-setup-"))
        path = folder / "study.toml"
        write_definition(path, _absolute(found))
        self._run(lambda: check_study_file(self.workspace, path), self._show_overview)

    def save(self) -> Path | None:
        """Ask where, then write the definition; returns the file, or None."""
        found = self.definition()
        if isinstance(found, list):
            self._show_problems(found)
            return None
        start = str(Path(found.tasks).parent / "study.toml") if found.tasks else "study.toml"
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save study definition", start, "Study definitions (*.toml)"
        )
        return self.save_to(Path(chosen)) if chosen else None

    def save_to(self, path: Path) -> Path | None:
        found = self.definition()
        if isinstance(found, list):
            self._show_problems(found)
            return None
        try:
            write_definition(path, _relative(found, path.parent))
        except EvalStudioError as e:
            self.problem.setText(str(e))
            return None
        self.saved_to = path
        self.problem.setText(f"Saved {path}.")
        return path

    def save_and_create(self) -> None:
        path = self.save()
        if path is not None:
            self.create_from(path)

    def create_from(self, path: Path) -> None:
        def made(found: StudyOverview) -> None:
            self.created.emit(found.study.name)
            self.accept()

        self._run(lambda: create_study(self.workspace, path), made)

    # -- inside ---------------------------------------------------------------------------------

    def _run(
        self, work: Callable[[], StudyOverview], done: Callable[[StudyOverview], None]
    ) -> None:
        for button in (self.check_button, self.create_button):
            button.setEnabled(False)
        self.problem.setText("Working…")

        def finish(result: StudyOverview) -> None:
            self._idle()
            done(result)

        self.jobs.run(Lane.DATA, work, done=finish, failed=self._failed)

    def _idle(self) -> None:
        for button in (self.check_button, self.create_button):
            button.setEnabled(True)
        self.problem.clear()

    def _failed(self, error: BaseException) -> None:
        self._idle()
        self.problem.setText(str(error))

    def _show_overview(self, found: StudyOverview) -> None:
        note = f"\n\n{TRUST_NOTE}" if found.checks else ""  # the pairs' tests ran code
        self.report.setPlainText(overview_text(found) + note)

    def _show_problems(self, problems: list[str]) -> None:
        self.problem.setText("Please fix: " + "; ".join(problems))


class _PathField(QWidget):
    def __init__(self, title: str, pattern: str) -> None:
        super().__init__()
        self.edit = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self._title, self._pattern = title, pattern
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, self._title, self.text(), self._pattern)
        if chosen:
            self.edit.setText(chosen)


def _percent(value: int) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0, 100)
    spin.setDecimals(0)
    spin.setSuffix(" %")
    spin.setValue(value)
    return spin


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch()
    return box


def _absolute(found: StudyDefinition) -> StudyDefinition:
    """File paths made absolute, so a check can run from a temporary folder."""
    guidelines = str(Path(found.guidelines).resolve()) if found.guidelines else None
    return replace(found, tasks=str(Path(found.tasks).resolve()), guidelines=guidelines)


def _relative(found: StudyDefinition, folder: Path) -> StudyDefinition:
    """File paths relative to the definition's folder where they can be (a movable study)."""

    def relative(path: str | None) -> str | None:
        if not path:
            return None
        try:
            return os.path.relpath(Path(path).resolve(), folder.resolve())
        except ValueError:  # another drive
            return str(Path(path).resolve())

    tasks = relative(found.tasks) or found.tasks
    return replace(found, tasks=tasks, guidelines=relative(found.guidelines))
