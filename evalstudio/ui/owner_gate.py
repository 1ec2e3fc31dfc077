"""The owner's gate: what changes the study or other people's work, or shows the answer key,
opens only for the owner — a passphrase asked once while the app stays on the workspace, if one
is set. The Owner menu and the report say so when none is set (owner_tools.py)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.passphrase import MIN_LENGTH
from evalstudio.services.workspace import owner
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Jobs, Lane

GUARDED = (
    "The app asks it before anything that changes the study or other people's work, or shows "
    "the answer key: study setup, the pair editor, the report, unplanted flaws, File › Import, "
    "File › Merge, File › Restore from a backup, and exports with the ground truth. It is "
    "asked once while the app stays open on this workspace. It does not encrypt the workspace "
    "file: keep that where evaluators cannot read it."
)


class OwnerGate:
    def __init__(self, jobs: Jobs, workspace: Workspace, problem: Callable[[str], None]) -> None:
        self.jobs = jobs
        self.workspace = workspace
        self.problem = problem
        self.unlocked = False
        self.passphrase: str | None = None  # the one that opened the tools (to change it)

    def use_workspace(self, workspace: Workspace) -> None:
        """The app moved to `workspace`: closed until its owner's passphrase is given."""
        self.workspace = workspace
        self.unlocked, self.passphrase = False, None

    def guarded(self, parent: QWidget, action: Callable[[], object]) -> Callable[[], None]:
        """`action` behind the gate: what a menu entry or a button runs."""
        return lambda: self.then(parent, action)

    def then(self, parent: QWidget, action: Callable[[], object]) -> None:
        """Run `action` if the owner's tools are open, after asking the passphrase if needed."""
        if self.unlocked:
            action()
            return
        workspace = self.workspace

        def protected(needs: bool) -> None:
            if not needs:
                self.unlocked = True
                action()
                return
            passphrase, ok = QInputDialog.getText(
                parent,
                "Study owner",
                "This is for the study owner. The owner's passphrase (asked once while the "
                "app stays open on this workspace):",
                QLineEdit.EchoMode.Password,
            )
            if not ok:
                return
            self.jobs.run(
                Lane.DATA,
                lambda: owner.unlock(workspace, passphrase),
                done=lambda right: opened(right, passphrase),
            )

        def opened(right: bool, passphrase: str) -> None:
            if right:
                self.unlocked, self.passphrase = True, passphrase
                action()
            else:
                self.problem("That is not the owner's passphrase.")

        self.jobs.run(Lane.DATA, lambda: owner.is_protected(workspace), done=protected)

    def read(self, done: Callable[[bool], None]) -> None:
        """Whether a passphrase is set, read on the DATA lane, to `done`."""
        workspace = self.workspace
        self.jobs.run(Lane.DATA, lambda: owner.is_protected(workspace), done=done)

    def change_passphrase(self, parent: QWidget, done: Callable[[], None] | None = None) -> None:
        """Set the passphrase, or change it once the tools are open (the current one opened
        them), in a dialog; `done()` once it is stored."""
        self.then(parent, lambda: self._ask_new(parent, done))

    def _ask_new(self, parent: QWidget, done: Callable[[], None] | None) -> None:
        dialog = PassphraseDialog(parent)
        workspace = self.workspace

        def chosen() -> None:
            new, current = dialog.new.text(), self.passphrase
            self.jobs.run(
                Lane.DATA,
                lambda: owner.set_passphrase(workspace, new, current=current),
                done=lambda _: stored(new),
                failed=lambda error: self.problem(str(error)),
            )

        def stored(new: str) -> None:
            self.unlocked, self.passphrase = True, new
            self.problem("The owner's tools now ask for this passphrase.")
            if done is not None:
                done()

        dialog.accepted.connect(chosen)
        dialog.open()


class PassphraseDialog(QDialog):
    """A new passphrase, typed twice; OK once it is long enough and both agree (the rules of
    `evalstudio owner passphrase`, which the service checks again)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("The owner's passphrase")
        self.setMinimumWidth(520)
        about = QLabel(GUARDED)
        about.setWordWrap(True)
        self.new = QLineEdit()
        self.again = QLineEdit()
        for field, name in ((self.new, "New passphrase"), (self.again, "The same again")):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setAccessibleName(name)
            field.textChanged.connect(self._check)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Set the passphrase")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(f"New passphrase ({MIN_LENGTH} characters or more)", self.new)
        form.addRow("The same again", self.again)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._check()

    def _check(self) -> None:
        new, again = self.new.text(), self.again.text()
        if new and len(new) < MIN_LENGTH:
            problem = f"A passphrase needs at least {MIN_LENGTH} characters."
        elif again and again != new:
            problem = "The two passphrases differ."
        else:
            problem = ""
        self.problem.setText(problem)
        self.ok.setEnabled(not problem and bool(new) and again == new)
