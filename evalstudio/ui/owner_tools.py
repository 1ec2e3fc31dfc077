"""The Owner menu: study setup, the pair editor, the study report, the review of unplanted
flaws, the assistant's quality on the study's pairs, the passphrase — each behind the owner
gate. With no passphrase set, the menu and the
report say so and offer to set one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMenu, QStyle

from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.workspace import owner
from evalstudio.ui.assistant_quality_dialog import AssistantQualityDialog
from evalstudio.ui.jobs import Lane
from evalstudio.ui.pair_editor import PairEditor
from evalstudio.ui.report_view import ReportView, figure_resource
from evalstudio.ui.study_setup_dialog import StudySetupDialog
from evalstudio.ui.unplanted_flaws import UnplantedFlawsDialog

if TYPE_CHECKING:
    from evalstudio.ui.main_window import MainWindow

NO_PASSPHRASE = (
    "No owner passphrase is set: anyone who opens EvalStudio on this computer can use the "
    "owner's tools — change the study, merge or restore over other people's work, and see "
    "the answer key. Set one, and the app asks it before them."
)


class OwnerTools:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.report_view: ReportView | None = None
        self.unplanted: UnplantedFlawsDialog | None = None
        self.quality: AssistantQualityDialog | None = None

    def fill(self, menu: QMenu) -> None:
        """The Owner menu's entries, every tool behind the gate; the notice of a missing
        passphrase is read again each time the menu opens."""
        w = self.window
        menu.setToolTipsVisible(True)
        self.notice = menu.addAction(
            "No owner passphrase set: anyone here can use these tools — set one…"
        )
        self.notice.setIcon(w.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        self.notice.setToolTip(NO_PASSPHRASE)
        self.notice.triggered.connect(self._change_passphrase)
        self.notice_end = menu.addSeparator()
        tools: list[tuple[str, Callable[[], object]]] = [
            ("&New study…", self.open_study_setup),
            ("&Edit pairs in a task file…", self._edit_pairs),
            ("Study &report…", self.open_report),
            ("&Unplanted flaws…", self.open_unplanted_flaws),
            ("&Assistant quality…", self.open_assistant_quality),
        ]
        for text, tool in tools:
            menu.addAction(text).triggered.connect(w.gate.guarded(w, tool))
        self.passphrase_action = menu.addAction("Set the owner's &passphrase…")
        self.passphrase_action.triggered.connect(self._change_passphrase)
        self._show_protection(True)  # until read: say nothing rather than something wrong
        menu.aboutToShow.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Read whether a passphrase is set (a workspace opened, the menu about to show)."""
        self.window.gate.read(self._show_protection)

    def _show_protection(self, protected: bool) -> None:
        self.notice.setVisible(not protected)
        self.notice_end.setVisible(not protected)
        verb = "Change" if protected else "Set"
        self.passphrase_action.setText(f"{verb} the owner's &passphrase…")

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
        DATA lane, then show it (saying so when no passphrase keeps it to the owner)."""
        w = self.window
        name = study_name or self._study_name()
        if name is None:
            return
        workspace = w.workspace
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

        def build() -> tuple[str, dict[str, bytes], bool]:
            page, figures = report_page(build_report(workspace, name), stamp, figure_resource)
            return page, figures, owner.is_protected(workspace)

        def show(found: tuple[str, dict[str, bytes], bool]) -> None:
            page, figures, protected = found
            view = self.report_view = ReportView(w, name, page, figures, protected)
            view.set_passphrase.clicked.connect(
                lambda: w.gate.change_passphrase(view, done=view.passphrase_set)
            )
            view.show()

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

    def open_assistant_quality(self, study_name: str | None = None) -> None:
        """Measure the loaded model on the current study's pairs, before trusting it."""
        name = study_name or self._study_name()
        if name is None:
            return
        if self.quality is not None:
            self.quality.close()  # its run is cancelled: one measurement at a time
        self.quality = AssistantQualityDialog(self.window, self.window.host, name)
        self.quality.show()

    def stop(self) -> None:
        """The app is closing: cancel a measurement under way, so the close does not wait for
        the model to finish it."""
        if self.quality is not None:
            self.quality.cancel()

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
        self.window.gate.change_passphrase(self.window, done=self.refresh)
