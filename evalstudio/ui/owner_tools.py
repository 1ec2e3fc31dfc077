"""The Owner menu: study setup, the pair editor, the study report, the review of unplanted
flaws, the assistant's quality on the study's pairs, the passphrase — each behind the owner
gate. With no passphrase set, the menu and the
report say so and offer to set one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QStyle, QWidget

from evalstudio.render.report_html import PageColours, report_html
from evalstudio.services.report.study_report import build_report, report_figures
from evalstudio.services.workspace import owner
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.assistant_quality_dialog import AssistantQualityDialog
from evalstudio.ui.jobs import Lane
from evalstudio.ui.pair_editor import PairEditor
from evalstudio.ui.palette import current_theme
from evalstudio.ui.report_view import ReportView, figure_resource
from evalstudio.ui.study_setup_dialog import StudySetupDialog
from evalstudio.ui.unplanted_flaws import UnplantedFlawsDialog

NO_PASSPHRASE = (
    "No owner passphrase is set: anyone who opens EvalStudio on this computer can use the "
    "owner's tools — change the study, merge or restore over other people's work, and see "
    "the answer key. Set one, and the app asks it before them."
)


class OwnerTools(QObject):
    study_created = Signal(str)

    def __init__(
        self, context: AppContext, parent: QWidget, current_study: Callable[[], str | None]
    ) -> None:
        """`current_study`: the study under review, or the one chosen on the start page."""
        super().__init__(parent)
        self.context = context
        self.parent_widget = parent
        self.current_study = current_study
        self.report_view: ReportView | None = None
        self.unplanted: UnplantedFlawsDialog | None = None
        self.quality: AssistantQualityDialog | None = None

    def fill(self, menu: QMenu) -> None:
        """The Owner menu's entries, every tool behind the gate; the notice of a missing
        passphrase is read again each time the menu opens."""
        parent, gate = self.parent_widget, self.context.gate
        menu.setToolTipsVisible(True)
        self.notice = menu.addAction(
            "No owner passphrase set: anyone here can use these tools — set one…"
        )
        self.notice.setIcon(parent.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
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
            menu.addAction(text).triggered.connect(gate.guarded(parent, tool))
        self.passphrase_action = menu.addAction("Set the owner's &passphrase…")
        self.passphrase_action.triggered.connect(self._change_passphrase)
        self._show_protection(True)  # until read: say nothing rather than something wrong
        menu.aboutToShow.connect(self.refresh)
        self.context.workspace_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Read whether a passphrase is set (a workspace opened, the menu about to show)."""
        self.context.gate.read(self._show_protection)

    def _show_protection(self, protected: bool) -> None:
        self.notice.setVisible(not protected)
        self.notice_end.setVisible(not protected)
        verb = "Change" if protected else "Set"
        self.passphrase_action.setText(f"{verb} the owner's &passphrase…")

    def open_study_setup(self) -> StudySetupDialog:
        c = self.context
        dialog = StudySetupDialog(self.parent_widget, c.workspace, c.jobs)
        dialog.created.connect(self.study_created)
        dialog.show()
        return dialog

    def open_pair_editor(self, path: Path) -> PairEditor:
        c = self.context
        editor = PairEditor(self.parent_widget, c.jobs, c.host, path)
        editor.show()
        return editor

    def open_report(self, study_name: str | None = None) -> None:
        """Build the report of the study under review, or chosen on the start page, on the
        DATA lane, then show it (saying so when no passphrase keeps it to the owner)."""
        c = self.context
        name = study_name or self._study_name()
        if name is None:
            return
        workspace = c.workspace
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

        def build() -> tuple[dict[str, Any], dict[str, bytes], bool]:
            found = build_report(workspace, name)
            return found.to_json(), report_figures(found), owner.is_protected(workspace)

        ended = c.show_busy(f"Building the report of '{name}'…")

        def show(found: tuple[dict[str, Any], dict[str, bytes], bool]) -> None:
            ended()
            report, figures, protected = found

            def page(colours: PageColours) -> str:
                return report_html(report, figures, stamp, figure_resource, colours)

            view = self.report_view = ReportView(self.parent_widget, name, page, figures, protected)
            view.set_passphrase.clicked.connect(
                lambda: c.gate.change_passphrase(view, done=view.passphrase_set)
            )
            view.show()

        def failed(error: BaseException) -> None:
            ended()
            c.show_error(error)

        c.jobs.run(Lane.DATA, build, done=show, failed=failed)

    def open_unplanted_flaws(self, study_name: str | None = None) -> None:
        """The flaws reported away from any plant in the current study, to mark real or not."""
        name = study_name or self._study_name()
        if name is None:
            return
        c = self.context
        self.unplanted = UnplantedFlawsDialog(
            self.parent_widget, c.workspace, c.jobs, name, current_theme()
        )
        self.unplanted.show()

    def open_assistant_quality(self, study_name: str | None = None) -> None:
        """Measure the loaded model on the current study's pairs, before trusting it."""
        name = study_name or self._study_name()
        if name is None:
            return
        if self.quality is not None:
            self.quality.close()  # its run is cancelled: one measurement at a time
        self.quality = AssistantQualityDialog(self.parent_widget, self.context.host, name)
        self.quality.show()

    def stop(self) -> None:
        """The app is closing: cancel a measurement under way, so the close does not wait for
        the model to finish it."""
        if self.quality is not None:
            self.quality.cancel()

    def _study_name(self) -> str | None:
        """The study under review, or the one chosen on the start page (else says so)."""
        name = self.current_study()
        if name is None:
            self.context.show_message("Choose a study on the start page first.")
        return name

    def _edit_pairs(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget,
            "Edit pairs in a task file",
            "",
            "JSONL task files (*.jsonl);;All files (*)",
        )
        if path:
            self.open_pair_editor(Path(path))

    def _change_passphrase(self) -> None:
        self.context.gate.change_passphrase(self.parent_widget, done=self.refresh)
