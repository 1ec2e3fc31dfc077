"""The study owner's pair editor: choose a record of a JSONL task file, write its flawed twin
(by hand or from the model's suggestion), check it with the pair's test, and save the pair
into the file.

The dialog wires the list, the form (ui/pair_form.py) and the buttons to the services; file
work and tests run on the DATA lane, the model's suggestion on the MODEL lane.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.errors import ImportRejected
from evalstudio.core.model import Kind
from evalstudio.core.plurals import counted
from evalstudio.core.task_records import TaskRecord
from evalstudio.core.verification import PairVerification
from evalstudio.render.theme import DARK, LIGHT
from evalstudio.services.sandbox.pair_tests import verify_pair_tests
from evalstudio.services.studies.pair_authoring import read_records, save_pair
from evalstudio.services.studies.perturbation import FlawSuggestion
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.model_host import ModelHost
from evalstudio.ui.pair_form import PairForm
from evalstudio.ui.pair_list import Key, PairList
from evalstudio.ui.palette import Tone, is_dark, restyle, set_style, tone
from evalstudio.ui.screen_fit import fit_to_screen
from evalstudio.ui.verdict_label import VerdictLabel

MODEL_NOT_READY = "No model is ready: wait for it to load, or choose one in File › Settings."


class PairEditor(QDialog):
    """Writes perturbation pairs into the JSONL task file `path`, one record at a time."""

    def __init__(self, parent: QWidget | None, jobs: Jobs, host: ModelHost, path: Path) -> None:
        super().__init__(parent)
        self.jobs, self.host, self.path = jobs, host, path
        self.setWindowTitle(f"Edit pairs — {path.name}")
        fit_to_screen(self, 1200, 800)
        dark = is_dark(self.palette())
        self._message_error = False
        self._key: Key | None = None  # what the form shows
        self._asking: str | None = None  # the record the model is suggesting a twin for
        self._testing = False
        self._saving = False

        self.list = PairList()
        self.list.currentItemChanged.connect(self._chosen)
        self.form = PairForm(DARK if dark else LIGHT)
        self.test_result = VerdictLabel()
        for edit in (self.form.flawed, self.form.test):  # what a test result is about
            edit.textChanged.connect(self.test_result.mark_stale)
        self.message = QLabel()
        self.message.setAccessibleName("Messages")
        self.message.setWordWrap(True)
        set_style(self.message, self._message_sheet)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # messages quote the owner's text
        self.suggest_button = QPushButton("Suggest a flaw")
        self.test_button = QPushButton("Run tests")
        self.save_button = QPushButton("Save pair")
        close_button = QPushButton("Close")
        self.test_button.setToolTip("Run the pair's test on both twins (Ctrl+R)")
        for button, action in (
            (self.suggest_button, self.suggest),
            (self.test_button, self.run_tests),
            (self.save_button, self.save),
            (close_button, self.reject),
        ):
            button.setAutoDefault(False)  # Enter in the description must not press a button
            button.clicked.connect(action)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save)
        QShortcut(QKeySequence("Ctrl+R"), self, self.run_tests)
        host.ready_changed.connect(self._model_ready_changed)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.list)
        split.addWidget(self.form)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 940])
        buttons = QHBoxLayout()
        for button in (self.suggest_button, self.test_button):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(self.save_button)
        buttons.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.test_result)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        form = self.form
        chain: list[QWidget] = [
            self.list,
            form.flawed,
            form.place_start,
            form.place_end,
            form.severity,
            form.description,
            form.test,
            self.suggest_button,
            self.test_button,
            self.save_button,
            close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._update_buttons()
        self._say(f"Reading {path.name}…")
        self._reload(None)

    # The list of records and pairs.

    def _reload(self, show: Key | None, note: str = "") -> None:
        """Read the file again and list it; then show `show` and say `note` (else a count)."""
        path = self.path
        self.jobs.run(
            Lane.DATA,
            lambda: read_records(path),
            done=lambda records: self._fill(records, show, note),
            failed=lambda error: self._say(_reason(error), error=True),
        )

    def _fill(self, records: list[TaskRecord], show: Key | None, note: str) -> None:
        self.list.fill(records)
        if show is not None:
            self.list.select(show)
        twins = counted(len(self.list.records), "record")
        counts = f"{twins} can get a twin; {counted(len(self.list.pairs), 'pair')}"
        self._say(note or f"{self.path.name}: {counts}.")

    def _chosen(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        key = self.list.key(current)
        if key is None or key == self._key:
            return
        if self.form.dirty and not self._discard_ok():
            self.list.stay_on(previous)
            return
        self._show_entry(key)

    def _show_entry(self, key: Key) -> None:
        kind, name = key
        self._key = key
        if kind == "record":
            self.form.show_record(self.list.records[name])
        else:
            self.form.show_pair(*self.list.pairs[name])
        self.test_result.say("")
        self._say("")
        self._update_buttons()

    # The three actions.

    def suggest(self) -> None:
        record = self._editable_record()
        if record is None or self._asking is not None:
            return
        if not self.host.suggest_flaw(
            record.prompt,
            record.candidate,
            record.language,
            done=self._suggested,
            failed=lambda error: self._suggest_failed(record.id, error),
        ):
            self._say(MODEL_NOT_READY, error=True)
            return
        self._asking = record.id
        self._say("Asking the model for a flawed twin…")
        self._update_buttons()

    def apply_suggestion(self, suggestion: FlawSuggestion) -> None:
        """Put the model's flawed twin into the form (it is the owner's to check and edit)."""
        self.form.apply_suggestion(suggestion)
        self.test_result.say("")
        self._say("The model's suggestion is filled in: check the diff and the flaw's place.")

    def _suggested(self, suggestion: FlawSuggestion) -> None:
        asked, self._asking = self._asking, None
        self._update_buttons()
        record = self._editable_record()
        if record is None or record.id != asked:
            self._say(f"The suggestion for '{asked}' came after you moved on; it was dropped.")
            return
        self.apply_suggestion(suggestion)

    def _suggest_failed(self, record_id: str, error: BaseException) -> None:
        self._asking = None
        self._update_buttons()
        self._say(f"No suggestion for '{record_id}': {_reason(error)}", error=True)

    def run_tests(self) -> None:
        if not self.test_button.isEnabled():
            return
        correct, flawed, test = self._twins_and_test()
        if not test:
            self._say("Write a test first: test_ functions the correct twin passes.", error=True)
            return
        key = self._key
        self._testing = True
        self._update_buttons()
        self.test_result.say("Running the test on both twins…")
        self.jobs.run(
            Lane.DATA,
            lambda: verify_pair_tests(correct, flawed, test),
            done=lambda check: self._tested(key, check),
            failed=lambda error: self._tested(key, error),
        )

    def _tested(self, key: Key | None, outcome: PairVerification | BaseException) -> None:
        self._testing = False
        self._update_buttons()
        if key != self._key:
            self.test_result.say("")  # the run was for a record no longer shown
            return
        if isinstance(outcome, BaseException):
            self.test_result.say("")
            self._say(f"The tests could not run: {_reason(outcome)}", error=True)
            return
        self.test_result.show_verdict(outcome)

    def save(self) -> None:
        record = self._editable_record()
        if record is None or self._saving:
            return
        draft = self.form.draft()
        path, record_id = self.path, record.id
        self._saving = True
        self._update_buttons()
        self._say(f"Saving the pair '{record_id}'…")
        self.jobs.run(
            Lane.DATA,
            lambda: save_pair(
                path,
                record_id,
                draft.flawed,
                draft.description,
                draft.severity,
                draft.lines,
                draft.span,
                draft.test,
            ),
            done=lambda _none: self._saved(record_id),
            failed=self._save_failed,
        )

    def _saved(self, record_id: str) -> None:
        self._saving = False
        self._key = None  # the record is a pair now: the refilled list shows it as one
        self.form.mark_saved()
        saved = f"Saved the pair '{record_id}' into {self.path.name} (the previous file: .bak)."
        self._reload(("pair", record_id), saved)

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        self._update_buttons()
        self._say(f"Not saved: {_reason(error)}", error=True)

    # State, messages and closing.

    def reject(self) -> None:
        """Close, after asking when a twin is written but not saved (Esc, Close, the window's ×)."""
        if self.form.dirty and not self._saving and not self._discard_ok():
            return
        super().reject()

    def _discard_ok(self) -> bool:
        record = self.form.record
        answer = QMessageBox.question(
            self,
            "Unsaved flawed twin",
            f"The flawed twin of '{record.id if record else ''}' is not saved. Discard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def _model_ready_changed(self, _ready: bool) -> None:
        self._update_buttons()

    def _editable_record(self) -> TaskRecord | None:
        return self.form.record if self.form.editable else None

    def _twins_and_test(self) -> tuple[str, str, str]:
        assert self._key is not None
        if self._key[0] == "pair":
            correct, flawed = self.list.pairs[self._key[1]]
            return correct.candidate, flawed.candidate, correct.test or flawed.test or ""
        draft = self.form.draft()
        assert self.form.record is not None
        return self.form.record.candidate, draft.flawed, draft.test or ""

    def _update_buttons(self) -> None:
        record = self.form.record if self._key is not None else None
        editable = self.form.editable and record is not None
        self.form.setEnabled(record is not None)
        self.suggest_button.setEnabled(editable and self.host.ready and self._asking is None)
        self.suggest_button.setText("Asking the model…" if self._asking else "Suggest a flaw")
        if not editable:
            tip = (
                "Choose a record without a twin"
                if record is None
                else "A conversation's twin is written in the file by hand"
                if record.conversation is not None
                else "This is a pair already"
            )
        elif not self.host.ready:
            tip = MODEL_NOT_READY
        else:
            tip = "Ask the model to plant one flaw in the correct answer; you check it after"
        self.suggest_button.setToolTip(tip)
        code = record is not None and record.kind is Kind.CODE
        self.test_button.setEnabled(code and not self._testing)
        self.test_button.setToolTip(
            "Run the pair's test on both twins (Ctrl+R)" if code else "Tests are for code pairs"
        )
        writable = self.path.suffix.lower() != ".csv"  # save_pair rewrites JSONL lines only
        self.save_button.setEnabled(editable and writable and not self._saving)
        self.save_button.setToolTip(
            f"Write the pair into {self.path.name} (Ctrl+S)"
            if writable
            else "Pairs are saved into JSONL task files only; convert this CSV file to JSONL"
        )

    def _say(self, text: str, error: bool = False) -> None:
        self._message_error = error
        restyle(self.message, self._message_sheet(QApplication.palette()))
        self.message.setText(text)

    def _message_sheet(self, palette: QPalette) -> str:
        return f"color: {tone(palette, Tone.ERROR).name()};" if self._message_error else ""


def _reason(error: BaseException) -> str:
    """What went wrong, in words: where and what for our errors, the type for a bare other."""
    if isinstance(error, ImportRejected):  # its own text speaks of importing
        rows = "\n".join(p.describe(error.source) for p in error.problems)
        return f"{error.source} has bad rows; fix them first:\n{rows}"
    return str(error) or type(error).__name__
