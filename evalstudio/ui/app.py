"""Starting the app: checks before Qt, the workspace and its lock, the first study, the main
window — and, for checking an install, one drawing of the window saved as a PNG."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from evalstudio.core.errors import EvalStudioError
from evalstudio.ui.display import display_problem, ensure_utf8_locale

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

    from evalstudio.ui.main_window import MainWindow


def run_app(
    workspace_path: Path, study_name: str | None = None, screenshot: Path | None = None
) -> int:
    """Open the main window on `study_name` (default: the demo study), or on the evaluator's
    review if the file is a session package; return the exit code. With `screenshot`, save
    the window once it is drawn and quit."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    ensure_utf8_locale()
    from PySide6.QtWidgets import QApplication, QMessageBox

    from evalstudio.services.sessions.package import package_of
    from evalstudio.services.studies import studies
    from evalstudio.services.workspace.lock import WorkspaceLock
    from evalstudio.services.workspace.opening import open_workspace
    from evalstudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("EvalStudio")
    app.setOrganizationName("EvalStudio")
    lock = WorkspaceLock()
    try:
        if (held := lock.take(workspace_path)) is not None:
            raise EvalStudioError(held)
        workspace = open_workspace(workspace_path)
        # A session package opens on its evaluator's review; nothing is added to it.
        package = package_of(workspace)
        if package is None and study_name:
            study_name = studies.study_named(workspace, study_name).name
        elif package is None:
            # The window opens on the demo study; the demo comparison study stands beside it.
            studies.ensure_demo_comparisons(workspace)
            study_name = studies.ensure_demo_study(workspace).name
    except EvalStudioError as e:
        print(f"evalstudio: {e}", file=sys.stderr)
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":  # nobody could close the dialog
            QMessageBox.critical(None, "EvalStudio", str(e))
        return 1
    window = MainWindow(workspace, package=package, lock=lock)
    if package is None and study_name is not None:
        window.select_study(study_name)
    window.show()
    if screenshot is not None:
        _save_when_settled(app, window, screenshot)
    return app.exec()


def _save_when_settled(app: QCoreApplication, window: MainWindow, path: Path) -> None:
    """Once the model is ready (or failed to load): save the window to `path`, say how long
    the window and the model took, and close. Printed only then: while the model loads,
    llama.cpp silences the process's output."""
    from PySide6.QtCore import QTimer

    app.processEvents()  # the first paint
    shown = _since_process_start()
    saved: list[bool] = []

    def save(_: object = None) -> None:
        if saved or not (window.host.ready or window.host.failed):
            return
        saved.append(True)
        window.grab().save(str(path))
        print(
            f"window shown after {shown:.2f} s, model settled after "
            f"{_since_process_start():.2f} s: {window.windowTitle()}",
            flush=True,
        )
        window.close()

    window.host.state_changed.connect(save)
    QTimer.singleShot(0, save)  # it may have settled already


def _since_process_start() -> float:
    """Seconds since this process started (Linux: from /proc), else since Python's start."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.process_time()
