"""What the main window's parts share, and the one owner of the open workspace.

The workspace (and the session package it may be), its lock and the switch to another change;
the lanes, the settings, the activity clock, the model and the owner's gate last for the app's
life. The parts read `workspace` here when they use it; the model and the gate, which keep their
own, follow `workspace_changed`. Nothing re-points them by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from evalstudio.core.errors import EvalStudioError
from evalstudio.services.assistance.backends import Backend, ModelSettings
from evalstudio.services.sessions.package import OpenPackage, package_model_settings, package_of
from evalstudio.services.workspace.lock import WorkspaceLock
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.ui.activity import ActivityWatcher
from evalstudio.ui.app_settings import AppSettings
from evalstudio.ui.jobs import Jobs, Lane
from evalstudio.ui.model_host import ModelHost
from evalstudio.ui.owner_gate import OwnerGate


class AppContext(QObject):
    # A switch's new workspace is open and the old one is about to close: finish with it now
    # (a review saves its draft there).
    workspace_closing = Signal()
    # `workspace` and `package` are the new ones; the old workspace closes after the listeners.
    workspace_changed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        *,
        show_message: Callable[[str], None],
        show_error: Callable[[BaseException], None],
        show_busy: Callable[[str], Callable[[], None]] | None = None,
        package: OpenPackage | None = None,
        lock: WorkspaceLock | None = None,
        backend: Backend | None = None,
    ) -> None:
        """`show_message`, `show_error`: how the user is told (the window's status bar and
        dialogs). `show_busy`: says that work is under way until the call it returns (at the
        end, done or failed); by default a passing message. `package`: the workspace is this
        session package. `lock`: the workspace's lock, moved along by `switch`; None takes no
        lock (tests). `backend`: a model already loaded by the caller (tests share one)."""
        super().__init__()
        self.workspace = workspace
        self.package = package
        self.lock = lock
        self.show_message = show_message
        self.show_error = show_error
        self.show_busy = show_busy or _passing(show_message)
        self.switching: Path | None = None  # the file a switch is opening
        self.jobs = Jobs(on_error=show_error)
        self.settings = AppSettings()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.activity = ActivityWatcher(app)
        self.host = ModelHost(self.jobs, workspace, self.model_settings()[0], backend)
        self.gate = OwnerGate(self.jobs, workspace, show_message)
        self.workspace_changed.connect(lambda: self.host.use_workspace(self.workspace))
        self.workspace_changed.connect(lambda: self.gate.use_workspace(self.workspace))

    def model_settings(self) -> tuple[ModelSettings, str | None]:
        """The settings the model runs with: the user's, with a session package's generation
        settings (its study's) on top; and a note when its responses came from another model."""
        chosen = self.settings.model_options().model_settings()
        if self.package is None:
            return chosen, None
        return package_model_settings(chosen, self.package.info.model)

    def switch(self, path: Path, done: Callable[[], None] | None = None) -> bool:
        """Make `path` the workspace: lock it, open (create, migrate) it on the DATA lane, tell
        the listeners, close the old one, then `done()`. False, with nothing changed and the
        user told, when another app holds it or a switch is under way. A file that fails to
        open is reported and leaves the old workspace and its lock as they were."""
        if self.switching is not None:
            self.show_message(f"Still opening {self.switching.name}…")
            return False
        try:
            lock = self._lock_for(path)
        except EvalStudioError as e:
            self.show_error(e)
            return False
        self.switching = path

        def opened(found: tuple[Workspace, OpenPackage | None]) -> None:
            self.switching = None
            self._replace(*found, lock)
            if done is not None:
                done()

        def failed(error: BaseException) -> None:
            self.switching = None
            if lock is not self.lock and lock is not None:
                lock.release()
            self.show_error(error)

        self.jobs.run(Lane.DATA, lambda: _open(path), done=opened, failed=failed)
        return True

    def close(self) -> None:
        """The app is closing: finish every queued job, free the model, release the lock."""
        self.jobs.shutdown({Lane.DATA: self.workspace.close, Lane.MODEL: self.host.shutdown_job})
        self.activity.stop()
        if self.lock is not None:
            self.lock.release()

    def _lock_for(self, path: Path) -> WorkspaceLock | None:
        """The lock `path` is opened under: the one held if it is the same file, else a new
        one taken beside it, so that the held one stays until the new file has opened.
        Raises if another app holds it."""
        if self.lock is None or _same_file(path, self.workspace.path):
            return self.lock
        lock = WorkspaceLock(self.lock.holder)
        if (held := lock.take(path)) is not None:
            raise EvalStudioError(held)
        return lock

    def _replace(
        self, workspace: Workspace, package: OpenPackage | None, lock: WorkspaceLock | None
    ) -> None:
        self.workspace_closing.emit()
        old, old_lock = self.workspace, self.lock
        self.workspace, self.package, self.lock = workspace, package, lock
        if old_lock is not None and old_lock is not lock:
            old_lock.release()
        self.workspace_changed.emit()
        # Each lane's connection closes on its own thread, after what was queued for it.
        self.jobs.run(Lane.DATA, old.close)
        self.jobs.run(Lane.MODEL, old.close)
        old.close()


def _passing(show_message: Callable[[str], None]) -> Callable[[str], Callable[[], None]]:
    def busy(text: str) -> Callable[[], None]:
        show_message(text)
        return lambda: None

    return busy


def _open(path: Path) -> tuple[Workspace, OpenPackage | None]:
    """Open the workspace at `path` and read whether it is a session package (DATA lane)."""
    workspace = open_workspace(path)
    try:
        return workspace, package_of(workspace)
    except BaseException:
        workspace.close()
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.expanduser().samefile(b)
    except OSError:  # a new workspace: not there yet
        return False
