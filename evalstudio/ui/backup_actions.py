"""Backups while the app runs — when a workspace opens and every 30 minutes of use (input
since the last one) — and File › Restore from a backup…. The work runs on the data lane."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from evalstudio.services.workspace.backups import (
    PERIOD_MINUTES,
    Backup,
    list_backups,
    newest_good,
    restore_backup,
    take_backup,
)
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.jobs import Lane
from evalstudio.ui.screen_fit import fit_to_screen


class BackupActions(QObject):
    # A restore is about to replace the workspace's content: close what shows it (a review
    # saves its draft first, on the same lane).
    restore_starting = Signal()
    restore_ended = Signal()  # restored, or refused with nothing replaced

    def __init__(self, context: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.context = context
        self.parent_widget = parent
        self._inputs_seen = -1
        self.timer = QTimer(self)
        self.timer.setInterval(PERIOD_MINUTES * 60 * 1000)
        self.timer.timeout.connect(self._periodic)
        self.timer.start()
        context.workspace_changed.connect(self.opened)

    def opened(self) -> None:
        """A workspace was opened: back it up (a failure is said in the status bar)."""
        self._take("open")
        self._inputs_seen = self.context.activity.inputs

    def _periodic(self) -> None:
        if self.context.activity.inputs != self._inputs_seen:  # in use since the last one
            self._inputs_seen = self.context.activity.inputs
            self._take("periodic")

    def _take(self, reason: str) -> None:
        path = self.context.workspace.path
        self.context.jobs.run(
            Lane.DATA,
            lambda: take_backup(path, reason),
            failed=lambda e: self.context.show_message(f"Backup failed: {e}"),
        )

    def choose_and_restore(self) -> None:
        c, parent = self.context, self.parent_widget
        path = c.workspace.path
        dialog = RestoreDialog(parent, list_backups(path))
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen is None:
            return
        chosen = dialog.chosen
        sure = QMessageBox.question(
            parent,
            "Restore a backup",
            f"Replace everything in {path.name} with the backup of "
            f"{chosen.taken_at:%Y-%m-%d %H:%M} UTC?\n\nWhat it holds now is backed up first, "
            "so this can be undone by restoring that backup.",
        )
        if sure != QMessageBox.StandardButton.Yes:
            return
        self.restore_starting.emit()

        def restored(before: Backup | None) -> None:
            self.restore_ended.emit()
            kept = f"; what it replaced is kept as a backup ({before.path.name})" if before else ""
            c.show_message(f"Restored the backup of {chosen.taken_at:%Y-%m-%d %H:%M} UTC{kept}.")

        def refused(error: BaseException) -> None:  # a damaged backup: nothing was replaced
            self.restore_ended.emit()
            c.show_error(error)

        c.jobs.run(Lane.DATA, lambda: restore_backup(path, chosen), done=restored, failed=refused)


class RestoreDialog(QDialog):
    """The workspace's backups, newest first, the newest good (intact) one chosen at first and
    the damaged ones newer than it marked; the chosen one is `chosen`."""

    def __init__(self, parent: QWidget, backups: list[Backup]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from a backup")
        fit_to_screen(self, 520, 420)
        self.backups = backups
        self.chosen: Backup | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Backups")
        good, damaged = newest_good(backups)  # checks the newest few: usually one
        for backup in backups:
            mark = (
                "  ·  newest good"
                if backup == good
                else "  ·  damaged"
                if backup in damaged
                else ""
            )
            text = (
                f"{backup.taken_at.astimezone():%Y-%m-%d %H:%M:%S}  ·  "
                f"{backup.reason.replace('-', ' ')}  ·  {backup.size / 1e6:.1f} MB{mark}"
            )
            self.list.addItem(QListWidgetItem(text))
        if backups:
            self.list.setCurrentRow(backups.index(good) if good is not None else 0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Ok
        )
        self.restore_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.restore_button.setText("Restore…")
        self.restore_button.setEnabled(bool(backups))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _: self._accept())
        layout = QVBoxLayout(self)
        note = (
            "Backups are taken when the app opens the workspace, every 30 minutes of use, and "
            "before every merge, schema upgrade and restore (local time below)."
            if backups
            else "No backups of this workspace yet."
        )
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.backups):
            self.chosen = self.backups[row]
            self.accept()
