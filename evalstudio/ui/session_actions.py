"""Session packages in the app: a package opened as the workspace is its evaluator's session
(straight to the review, the study's model settings, the owner's tools off: it holds no answer
key to use them on), and File > Merge brings returned packages into the owner's workspace."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
from evalstudio.core.session_merge import MergeSummary
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.sessions.merge import merge_files
from evalstudio.services.sessions.package import OpenPackage, package_model_settings
from evalstudio.ui.jobs import Lane

if TYPE_CHECKING:
    from evalstudio.ui.main_window import MainWindow

OWNER_TOOLS_OFF = (
    "This is a session package: it holds no answer key, so the owner's tools (study setup, "
    "report, pair editor) work only in the owner's workspace."
)


class SessionActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.package: OpenPackage | None = None
        self.mode_label = QLabel()
        self.mode_label.setToolTip(OWNER_TOOLS_OFF)
        # Permanent (left of the progress): a status message must not cover it.
        window.statusBar().insertPermanentWidget(0, self.mode_label)
        self.mode_label.hide()

    def model_settings(self, chosen: ModelSettings) -> ModelSettings:
        """The settings the model runs with: the user's, with a package's generation settings
        (its study's) on top."""
        if self.package is None:
            return chosen
        return package_model_settings(chosen, self.package.info.model)[0]

    def enter(self, package: OpenPackage) -> None:
        """The workspace is a session package: open its evaluator's review at once."""
        self.package = package
        self._set_mode(package)
        w = self.window
        chosen = w.settings.model_options().model_settings()
        settings, note = package_model_settings(chosen, package.info.model)
        if settings != w.host.settings:
            w.host.load(settings)
        w.start_review(package.study, package.evaluator)
        if note:
            w.show_message(note)

    def leave(self) -> None:
        """The workspace is not a package (any more)."""
        if self.package is None:
            return
        self.package = None
        self._set_mode(None)
        chosen = self.window.settings.model_options().model_settings()
        if chosen != self.window.host.settings:
            self.window.host.load(chosen)

    def _set_mode(self, package: OpenPackage | None) -> None:
        w = self.window
        owner = package is None
        w.owner_menu.setEnabled(owner)
        w.owner_menu.menuAction().setToolTip("" if owner else OWNER_TOOLS_OFF)
        w.import_action.setEnabled(owner)  # a package holds one study: its own
        w.merge_action.setEnabled(owner)  # work is merged into the owner's workspace
        w.start_page.set_package(package is not None)
        if package is None:
            self.mode_label.hide()
        else:
            self.mode_label.setText(
                f"Session package · {package.study.name} · {package.evaluator.name} · "
                "owner's tools off"
            )
            self.mode_label.show()

    # -- File > Merge -------------------------------------------------------------------------

    def choose_and_merge(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.window,
            "Merge returned sessions",
            str(self.window.workspace.path.parent),
            "Session packages and workspaces (*.evs *.sqlite);;All files (*)",
        )
        if paths:
            self.merge([Path(p) for p in paths])

    def merge(self, paths: list[Path]) -> None:
        """Merge the files on the DATA lane, then show what each added or why it was refused."""
        w = self.window
        workspace = w.workspace

        def shown(results: list[MergeSummary | SessionError]) -> None:
            MergeResults(w, results).show()
            w.start_page.refresh()

        w.show_message(f"Merging {len(paths)} file(s)…")
        w.jobs.run(Lane.DATA, lambda: merge_files(workspace, paths), done=shown)


class MergeResults(QDialog):
    """What each merged file added, or why it was not merged."""

    def __init__(self, parent: QWidget, results: list[MergeSummary | SessionError]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge")
        self.resize(760, 420)
        refused = sum(isinstance(r, SessionError) for r in results)
        merged = len(results) - refused
        head = f"{merged} file(s) merged" + (f", {refused} not merged." if refused else ".")
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
