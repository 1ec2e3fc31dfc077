"""Session packages in the app: a package opened as the workspace is its evaluator's session
(straight to the review, the study's model settings, the owner's tools off: it holds no answer
key to use them on), and File > Merge brings returned packages into the owner's workspace."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.errors import SessionError
from evalstudio.core.plurals import counted
from evalstudio.core.session_merge import MergeSummary
from evalstudio.services.sessions.merge import merge_files
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.jobs import Lane
from evalstudio.ui.screen_fit import fit_to_screen

OWNER_TOOLS_OFF = (
    "This is a session package: it holds no answer key, so the owner's tools (study setup, "
    "report, pair editor) work only in the owner's workspace."
)


class SessionActions(QObject):
    review_requested = Signal(object, object)  # Study, Evaluator: a package opens on its review
    mode_changed = Signal(bool)  # whether the workspace is a session package
    merged = Signal()

    def __init__(self, context: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.context = context
        self.parent_widget = parent
        # Shown in the status bar, left of the progress (a status message must not cover it).
        self.mode_label = QLabel()
        self.mode_label.setToolTip(OWNER_TOOLS_OFF)
        self.mode_label.hide()
        context.workspace_changed.connect(self.follow)

    def follow(self) -> None:
        """The workspace opened: a session package asks for its evaluator's review at once and
        runs the model with its study's settings; a workspace, the user's."""
        package = self.context.package
        self._set_mode()
        settings, note = self.context.model_settings()
        host = self.context.host
        if settings != host.settings:
            host.load(settings)
        if package is not None:
            self.review_requested.emit(package.study, package.evaluator)
        if note:
            self.context.show_message(note)

    def _set_mode(self) -> None:
        package = self.context.package
        if package is None:
            self.mode_label.hide()
        else:
            self.mode_label.setText(
                f"Session package · {package.study.name} · {package.evaluator.name} · "
                "owner's tools off"
            )
            self.mode_label.show()
        self.mode_changed.emit(package is not None)

    # -- File > Merge -------------------------------------------------------------------------

    def choose_and_merge(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.parent_widget,
            "Merge returned sessions",
            str(self.context.workspace.path.parent),
            "Session packages and workspaces (*.evs *.sqlite);;All files (*)",
        )
        if paths:
            self.merge([Path(p) for p in paths])

    def merge(self, paths: list[Path]) -> None:
        """Merge the files on the DATA lane, then show what each added or why it was refused."""
        workspace = self.context.workspace

        ended = self.context.show_busy(f"Merging {counted(len(paths), 'file')}…")

        def shown(results: list[MergeSummary | SessionError]) -> None:
            ended()
            MergeResults(self.parent_widget, results).show()
            self.merged.emit()

        def failed(error: BaseException) -> None:
            ended()
            self.context.show_error(error)

        self.context.jobs.run(
            Lane.DATA, lambda: merge_files(workspace, paths), done=shown, failed=failed
        )


class MergeResults(QDialog):
    """What each merged file added, or why it was not merged."""

    def __init__(self, parent: QWidget, results: list[MergeSummary | SessionError]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge")
        fit_to_screen(self, 760, 420)
        refused = sum(isinstance(r, SessionError) for r in results)
        merged = len(results) - refused
        head = f"{counted(merged, 'file')} merged" + (
            f", {refused} not merged." if refused else "."
        )
        blocks = [
            f"Not merged: {r}" if isinstance(r, SessionError) else "\n".join(r.lines())
            for r in results
        ]
        self.summary = QLabel(f"<b>{head}</b>")
        self.text = QPlainTextEdit("\n\n".join(blocks))
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Merge results")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
