"""The owner's tools open only for the owner: a passphrase asked once per session, if set."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from evalstudio.services import owner
from evalstudio.services.workspace import Workspace
from evalstudio.ui.jobs import Jobs, Lane


class OwnerGate:
    def __init__(self, jobs: Jobs, workspace: Workspace, problem: Callable[[str], None]) -> None:
        self.jobs = jobs
        self.workspace = workspace
        self.problem = problem
        self.unlocked = False
        self.passphrase: str | None = None  # the one that opened the tools (to change it)

    def lock(self) -> None:
        self.unlocked, self.passphrase = False, None

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
                "Owner tools",
                "The study owner's passphrase:",
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

    def change_passphrase(self, parent: QWidget) -> None:
        """Ask a new passphrase twice and set it (the tools must be open: it needs the current
        one, which opened them)."""
        new, ok = QInputDialog.getText(
            parent,
            "Owner's passphrase",
            "New passphrase (8 characters or more):",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        again, ok = QInputDialog.getText(
            parent, "Owner's passphrase", "The same again:", QLineEdit.EchoMode.Password
        )
        if not ok:
            return
        if new != again:
            self.problem("The two passphrases differ; nothing changed.")
            return
        workspace, current = self.workspace, self.passphrase

        def changed(_: None) -> None:
            self.passphrase = new
            self.problem("The owner's tools now ask for the new passphrase.")

        self.jobs.run(
            Lane.DATA,
            lambda: owner.set_passphrase(workspace, new, current=current),
            done=changed,
            failed=lambda error: self.problem(str(error)),
        )
