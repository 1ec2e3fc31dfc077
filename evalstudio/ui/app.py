"""Starting the app: checks before Qt, the workspace, the first study, the main window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evalstudio.core.errors import EvalStudioError
from evalstudio.ui.display import display_problem, ensure_utf8_locale


def run_app(workspace_path: Path, study_name: str | None = None) -> int:
    """Open the main window on `study_name` (default: the demo study); return the exit code."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    ensure_utf8_locale()
    from PySide6.QtWidgets import QApplication, QMessageBox

    from evalstudio.services import studies
    from evalstudio.services.workspace import open_workspace
    from evalstudio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("EvalStudio")
    app.setOrganizationName("EvalStudio")
    try:
        workspace = open_workspace(workspace_path)
        if study_name is None:
            study_name = studies.ensure_demo_study(workspace).name
        else:
            studies.study_named(workspace, study_name)
    except EvalStudioError as e:
        print(f"evalstudio: {e}", file=sys.stderr)
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":  # nobody could close the dialog
            QMessageBox.critical(None, "EvalStudio", str(e))
        return 1
    window = MainWindow(workspace)
    window.select_study(study_name)
    window.show()
    return app.exec()
