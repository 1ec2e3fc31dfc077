"""The start page: who is evaluating (profiles: several people, one machine; the first start
asks for a name), the studies with that evaluator's progress in each, and Continue, which goes
straight to their next item not done. Enter continues wherever the focus is on the page."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.model import Evaluator, EvaluatorKind, Study, StudySummary
from evalstudio.services.review.progress import StudyProgress, progress_by_study
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.jobs import Lane
from evalstudio.ui.labels import hint
from evalstudio.ui.study_rows import PROGRESS_ROLE, STUDY_ROLE, StudyRowDelegate, row_text

_SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class StartPage(QWidget):
    start_requested = Signal(object, object)  # Study, Evaluator
    problem = Signal(str)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.loaded = False
        self._refreshes = 0  # only the latest refresh fills the page
        self.package = False
        self._progress: dict[str, StudyProgress] = {}
        self.workspace_label = hint()
        self.workspace_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The first start on a workspace: nobody to choose yet, so the page asks for a name.
        self.welcome = QWidget()
        self.name_field = QLineEdit()
        self.name_field.setAccessibleName("Your name")
        self.name_field.setPlaceholderText("Your name")
        self.name_field.setMaxLength(80)
        self.name_field.setMaximumWidth(self.name_field.fontMetrics().horizontalAdvance("M" * 28))
        welcome = QVBoxLayout(self.welcome)
        welcome.setContentsMargins(0, 0, 0, 0)
        welcome.addWidget(QLabel("<b>Welcome.</b> Who is evaluating?"))
        name_row = QHBoxLayout()
        name_row.addWidget(self.name_field, 1)
        name_row.addStretch()
        welcome.addLayout(name_row)
        welcome.addWidget(
            hint(
                "Your name is kept with your judgments in this workspace, so that several "
                "people can share this computer. Enter starts the chosen study."
            )
        )

        self.chooser = QWidget()
        self.evaluator_box = QComboBox()
        self.evaluator_box.setAccessibleName("Evaluator")
        self.evaluator_box.setMinimumContentsLength(20)
        self.evaluator_box.currentIndexChanged.connect(lambda _: self._evaluator_changed())
        new_evaluator = self.new_evaluator_button = QPushButton("New evaluator…")
        new_evaluator.clicked.connect(lambda: self._new_evaluator())
        who = QHBoxLayout(self.chooser)
        who.setContentsMargins(0, 0, 0, 0)
        evaluator_label = QLabel("&Evaluator:")
        evaluator_label.setBuddy(self.evaluator_box)
        who.addWidget(evaluator_label)
        who.addWidget(self.evaluator_box, 1)
        who.addWidget(new_evaluator)
        who.addStretch()

        self.study_list = QListWidget()
        self.study_list.setAccessibleName("Studies")
        self.study_list.setItemDelegate(StudyRowDelegate(self.study_list))
        self.study_list.setSpacing(2)
        # Enter reaches keyPressEvent (a list passes it on after `activated`): mouse only here.
        self.study_list.itemDoubleClicked.connect(lambda _: self._start())
        self.study_list.currentRowChanged.connect(lambda _: self._show_button())
        studies_label = QLabel("<b>Choose a &study</b>")
        studies_label.setBuddy(self.study_list)
        self.start_button = QPushButton("Continue")
        self.start_button.setToolTip("Your next item not done in the chosen study (Enter)")
        self.start_button.clicked.connect(self._start)
        bottom = QHBoxLayout()
        self.keys_hint = hint()
        bottom.addWidget(self.keys_hint)
        bottom.addStretch()
        bottom.addWidget(self.start_button)

        column = QVBoxLayout()
        column.addWidget(QLabel("<h2>EvalStudio</h2>"))
        column.addWidget(self.workspace_label)
        column.addSpacing(6)
        column.addWidget(self.welcome)
        column.addWidget(self.chooser)
        column.addSpacing(6)
        column.addWidget(studies_label)
        column.addWidget(self.study_list, 1)
        column.addLayout(bottom)
        box = QWidget()
        box.setLayout(column)
        box.setMaximumWidth(900)
        outer = QHBoxLayout(self)
        outer.addStretch()
        outer.addWidget(box, 4)
        outer.addStretch()
        self.welcome.hide()
        self.refresh()

    def set_package(self, package: bool) -> None:
        """In a session package, the evaluator is the package's: nobody else's work belongs in
        it (a merge would refuse it)."""
        self.package = package
        self.new_evaluator_button.setEnabled(not package)
        self.new_evaluator_button.setToolTip(
            "A session package is one evaluator's session." if package else ""
        )

    def first_start(self) -> bool:
        """Whether the page is asking for the first evaluator's name."""
        return self.welcome.isVisibleTo(self)

    # -- reading --------------------------------------------------------------------------------

    def refresh(self, select_evaluator: str = "", select_study: str = "") -> None:
        """Reload the studies, the evaluators and the chosen one's progress (on the DATA
        lane)."""
        workspace = self.context.workspace
        self.workspace_label.setText(f"Workspace: {workspace.path}")
        current = self.selected_study()
        wanted_study = select_study or (current.name if current else "")
        wanted_evaluator = select_evaluator or (e.id if (e := self.selected_evaluator()) else "")

        def read() -> tuple[list[StudySummary], list[Evaluator], dict[str, StudyProgress]]:
            people = evaluators.list_evaluators(workspace, EvaluatorKind.HUMAN)
            chosen = next((e for e in people if e.id == wanted_evaluator), None)
            chosen = chosen or (people[0] if people else None)
            found = progress_by_study(workspace, chosen.id) if chosen else {}
            return studies.list_studies(workspace), people, found

        self._refreshes += 1
        this = self._refreshes

        def show(
            found: tuple[list[StudySummary], list[Evaluator], dict[str, StudyProgress]],
        ) -> None:
            if this == self._refreshes:  # an earlier refresh's reading is out of date
                self._fill(*found, wanted_study, wanted_evaluator)

        self.context.jobs.run(Lane.DATA, read, done=show)

    def _fill(
        self,
        summaries: list[StudySummary],
        people: list[Evaluator],
        progress: dict[str, StudyProgress],
        study_name: str,
        evaluator_id: str,
    ) -> None:
        self._progress = progress
        self.study_list.clear()
        for summary in summaries:
            entry = QListWidgetItem()
            entry.setData(STUDY_ROLE, summary)
            self.study_list.addItem(entry)
        self._show_progress()
        if not self.select_study(study_name) and self.study_list.count():
            self.study_list.setCurrentRow(0)
        self.evaluator_box.blockSignals(True)
        self.evaluator_box.clear()
        for evaluator in people:
            self.evaluator_box.addItem(evaluator.name, evaluator)
            if evaluator.id == evaluator_id:
                self.evaluator_box.setCurrentIndex(self.evaluator_box.count() - 1)
        self.evaluator_box.blockSignals(False)
        first = not people and not self.package
        self.welcome.setVisible(first)
        self.chooser.setVisible(not first)
        keys = "Enter: continue · ↑↓: choose a study"
        self.keys_hint.setText(keys if first else f"{keys} · Alt+E: evaluator")
        self._show_button()
        self.loaded = True
        if self.isVisible():  # not from under a review (a merge refreshes the page)
            (self.name_field if first else self.study_list).setFocus()

    def _evaluator_changed(self) -> None:
        """Another evaluator chosen: their progress, read on the DATA lane."""
        chosen = self.selected_evaluator()
        if chosen is None:
            return
        workspace = self.context.workspace

        def show(found: dict[str, StudyProgress]) -> None:
            if self.selected_evaluator() == chosen:  # not if chosen again meanwhile
                self._progress = found
                self._show_progress()
                self._show_button()

        self.context.jobs.run(Lane.DATA, lambda: progress_by_study(workspace, chosen.id), done=show)

    def _show_progress(self) -> None:
        for row in range(self.study_list.count()):
            entry = self.study_list.item(row)
            summary: StudySummary = entry.data(STUDY_ROLE)
            progress = self._progress.get(summary.study.id)
            entry.setData(PROGRESS_ROLE, progress)
            entry.setText(row_text(summary, progress))

    def _show_button(self) -> None:
        progress = self.selected_progress()
        going_on = progress is not None and progress.last_worked is not None
        self.start_button.setText("Continue" if going_on else "Start reviewing")

    # -- choices --------------------------------------------------------------------------------

    def select_study(self, name: str) -> bool:
        for row in range(self.study_list.count()):
            summary: StudySummary = self.study_list.item(row).data(STUDY_ROLE)
            if summary.study.name == name:
                self.study_list.setCurrentRow(row)
                return True
        return False

    def selected_study(self) -> Study | None:
        entry = self.study_list.currentItem()
        summary = entry.data(STUDY_ROLE) if entry is not None else None
        return summary.study if isinstance(summary, StudySummary) else None

    def selected_progress(self) -> StudyProgress | None:
        """The chosen evaluator's progress in the chosen study."""
        study = self.selected_study()
        return self._progress.get(study.id) if study is not None else None

    def selected_evaluator(self) -> Evaluator | None:
        value = self.evaluator_box.currentData()
        return value if isinstance(value, Evaluator) else None

    def add_evaluator(self, name: str, then_start: bool = False) -> None:
        workspace = self.context.workspace

        def added(evaluator: Evaluator) -> None:
            self.refresh(select_evaluator=evaluator.id)
            study = self.selected_study()
            if then_start and study is not None:
                self.start_requested.emit(study, evaluator)

        self.context.jobs.run(
            Lane.DATA,
            lambda: evaluators.add_evaluator(workspace, name),
            done=added,
            failed=lambda error: self.problem.emit(f"New evaluator: {error}"),
        )

    def _new_evaluator(self) -> None:
        name, ok = QInputDialog.getText(self, "New evaluator", "Who is evaluating? Your name:")
        if ok:
            self.add_evaluator(name)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter continues, from the list, the name field, the evaluator or the button."""
        if event.key() in _ENTER and not event.isAutoRepeat():
            self._start()
        else:
            super().keyPressEvent(event)

    def _start(self) -> None:
        study, evaluator = self.selected_study(), self.selected_evaluator()
        if study is None:
            self.problem.emit("Choose a study first (File > Import tasks… adds one).")
        elif self.first_start():
            name = self.name_field.text().strip()
            if not name:
                self.problem.emit("Type your name first: it is kept with your judgments.")
                self.name_field.setFocus()
            else:
                self.add_evaluator(name, then_start=True)
        elif evaluator is not None:
            self.start_requested.emit(study, evaluator)
