"""The start page: which study, and who is evaluating (profiles: several people, one machine)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.model import Evaluator, EvaluatorKind, Study, StudySummary
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.jobs import Lane

_ROLE = Qt.ItemDataRole.UserRole


class StartPage(QWidget):
    start_requested = Signal(object, object)  # Study, Evaluator
    problem = Signal(str)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.loaded = False
        self.workspace_label = QLabel()
        self.workspace_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.study_list = QListWidget()
        self.study_list.setAccessibleName("Studies")
        self.study_list.setSpacing(3)
        self.study_list.itemActivated.connect(lambda _: self._start())
        self.evaluator_box = QComboBox()
        self.evaluator_box.setAccessibleName("Evaluator")
        self.evaluator_box.setMinimumContentsLength(20)
        new_evaluator = self.new_evaluator_button = QPushButton("New evaluator…")
        new_evaluator.clicked.connect(lambda: self._new_evaluator())
        self.start_button = QPushButton("Start reviewing")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._start)

        who = QHBoxLayout()
        who.addWidget(QLabel("Evaluator:"))
        who.addWidget(self.evaluator_box, 1)
        who.addWidget(new_evaluator)
        who.addStretch()
        who.addWidget(self.start_button)

        column = QVBoxLayout()
        title = QLabel("<h2>EvalStudio</h2>")
        column.addWidget(title)
        column.addWidget(self.workspace_label)
        column.addWidget(QLabel("<b>Choose a study</b>"))
        column.addWidget(self.study_list, 1)
        column.addLayout(who)
        box = QWidget()
        box.setLayout(column)
        box.setMaximumWidth(900)
        outer = QHBoxLayout(self)
        outer.addStretch()
        outer.addWidget(box, 4)
        outer.addStretch()
        self.refresh()

    def set_package(self, package: bool) -> None:
        """In a session package, the evaluator is the package's: nobody else's work belongs in
        it (a merge would refuse it)."""
        self.new_evaluator_button.setEnabled(not package)
        self.new_evaluator_button.setToolTip(
            "A session package is one evaluator's session." if package else ""
        )

    def refresh(self, select_evaluator: str = "", select_study: str = "") -> None:
        """Reload the studies and evaluators of the workspace (on the DATA lane)."""
        workspace = self.context.workspace
        self.workspace_label.setText(f"Workspace: {workspace.path}")
        current = self.selected_study()
        wanted_study = select_study or (current.name if current else "")
        wanted_evaluator = select_evaluator or (e.id if (e := self.selected_evaluator()) else "")

        def read() -> tuple[list[StudySummary], list[Evaluator]]:
            return studies.list_studies(workspace), evaluators.list_evaluators(
                workspace, EvaluatorKind.HUMAN
            )

        def show(found: tuple[list[StudySummary], list[Evaluator]]) -> None:
            self._fill(*found, wanted_study, wanted_evaluator)

        self.context.jobs.run(Lane.DATA, read, done=show)

    def _fill(
        self,
        summaries: list[StudySummary],
        people: list[Evaluator],
        study_name: str,
        evaluator_id: str,
    ) -> None:
        self.study_list.clear()
        for summary in summaries:
            entry = QListWidgetItem(_study_label(summary))
            entry.setData(_ROLE, summary.study)
            self.study_list.addItem(entry)
        if not self.select_study(study_name) and self.study_list.count():
            self.study_list.setCurrentRow(0)
        self.evaluator_box.clear()
        for evaluator in people:
            self.evaluator_box.addItem(evaluator.name, evaluator)
            if evaluator.id == evaluator_id:
                self.evaluator_box.setCurrentIndex(self.evaluator_box.count() - 1)
        self.loaded = True

    def select_study(self, name: str) -> bool:
        for row in range(self.study_list.count()):
            study: Study = self.study_list.item(row).data(_ROLE)
            if study.name == name:
                self.study_list.setCurrentRow(row)
                return True
        return False

    def selected_study(self) -> Study | None:
        entry = self.study_list.currentItem()
        study = entry.data(_ROLE) if entry is not None else None
        return study if isinstance(study, Study) else None

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
            failed=lambda error: self.problem.emit(str(error)),
        )

    def _new_evaluator(self, then_start: bool = False) -> None:
        name, ok = QInputDialog.getText(self, "New evaluator", "Who is evaluating? Your name:")
        if ok:
            self.add_evaluator(name, then_start)

    def _start(self) -> None:
        study, evaluator = self.selected_study(), self.selected_evaluator()
        if study is None:
            self.problem.emit("Choose a study first (File > Import tasks… adds one).")
        elif evaluator is None:
            self._new_evaluator(then_start=True)  # the first start on this machine
        else:
            self.start_requested.emit(study, evaluator)


def _study_label(summary: StudySummary) -> str:
    return (
        f"{summary.study.name}\n{summary.items} items · {summary.code_items} code · "
        f"{summary.text_items} text"
    )
