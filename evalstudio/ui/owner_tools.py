"""The Owner menu: study setup, the pair editor, the study report, the review of unplanted
flaws, the passphrase — each behind the owner gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from evalstudio.services.report import build_report, report_page
from evalstudio.ui.jobs import Lane
from evalstudio.ui.pair_editor import PairEditor
from evalstudio.ui.report_view import ReportView, figure_resource
from evalstudio.ui.study_setup_dialog import StudySetupDialog
from evalstudio.ui.unplanted_flaws import UnplantedFlawsDialog

if TYPE_CHECKING:
    from evalstudio.ui.main_window import MainWindow


class OwnerTools:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.report_view: ReportView | None = None
        self.unplanted: UnplantedFlawsDialog | None = None

    def menu(self) -> list[tuple[str, Callable[[], None]]]:
        """(label, action) of each Owner menu entry; every one asks the gate first."""
        tools: list[tuple[str, Callable[[], object]]] = [
            ("&New study…", self.open_study_setup),
            ("&Edit pairs in a task file…", self._edit_pairs),
            ("Study &report…", self.open_report),
            ("&Unplanted flaws…", self.open_unplanted_flaws),
            ("Set the owner's &passphrase…", self._change_passphrase),
        ]
        return [(text, self._gated(tool)) for text, tool in tools]

    def _gated(self, tool: Callable[[], object]) -> Callable[[], None]:
        return lambda: self.window.gate.then(self.window, tool)

    def open_study_setup(self) -> StudySetupDialog:
        w = self.window
        dialog = StudySetupDialog(w, w.workspace, w.jobs)
        dialog.created.connect(self._study_created)
        dialog.show()
        return dialog

    def open_pair_editor(self, path: Path) -> PairEditor:
        w = self.window
        editor = PairEditor(w, w.jobs, w.host, path)
        editor.show()
        return editor

    def open_report(self, study_name: str | None = None) -> None:
        """Build the report of the study under review, or chosen on the start page, on the
        DATA lane, then show it."""
        w = self.window
        name = study_name or self._study_name()
        if name is None:
            return
        workspace = w.workspace
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

        def build() -> tuple[str, dict[str, bytes]]:
            return report_page(build_report(workspace, name), stamp, figure_resource)

        def show(found: tuple[str, dict[str, bytes]]) -> None:
            self.report_view = ReportView(w, name, *found)
            self.report_view.show()

        w.show_message(f"Building the report of '{name}'…")
        w.jobs.run(Lane.DATA, build, done=show)

    def open_unplanted_flaws(self, study_name: str | None = None) -> None:
        """The flaws reported away from any plant in the current study, to mark real or not."""
        name = study_name or self._study_name()
        if name is None:
            return
        w = self.window
        self.unplanted = UnplantedFlawsDialog(w, w.workspace, w.jobs, name, w.theme)
        self.unplanted.show()

    def _study_name(self) -> str | None:
        """The study under review, or the one chosen on the start page (else says so)."""
        w = self.window
        chosen = w.start_page.selected_study()
        name = w.review.session.study.name if w.review else (chosen.name if chosen else None)
        if name is None:
            w.show_message("Choose a study on the start page first.")
        return name

    def _edit_pairs(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Edit pairs in a task file",
            "",
            "JSONL task files (*.jsonl);;All files (*)",
        )
        if path:
            self.open_pair_editor(Path(path))

    def _study_created(self, name: str) -> None:
        self.window.show_start()
        self.window.select_study(name)
        self.window.show_message(f"Created the study '{name}'.")

    def _change_passphrase(self) -> None:
        self.window.gate.change_passphrase(self.window)
