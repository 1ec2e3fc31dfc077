"""Screenshots of the main states of the app, in light and dark, for a person to look at,
and the two pictures at the top of README.md (tools/readme_images.py).

    make screenshots                    # both
    python tools/screenshots.py         # screenshots/<scheme>-<state>.png (not committed)
    python tools/screenshots.py --readme  # docs/images/review.png and report.png (committed)

The screenshots run offscreen on a fresh workspace with the demo study and the bundled model
(real answers); the README's pictures have fixed content.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from readme_images import make as make_readme_images

from evalstudio.core.assistance import AssistKind
from evalstudio.core.model import Kind, Verdict
from evalstudio.core.review import Condition
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import open_workspace
from evalstudio.services.workspace.resources import demo_dir
from evalstudio.store import assignments
from evalstudio.store import studies as study_rows
from evalstudio.ui.cheat_sheet import CheatSheet
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.settings_dialog import SettingsDialog
from evalstudio.ui.study_setup_dialog import StudySetupDialog

OUT = Path("screenshots")


def main() -> None:
    # The app's settings go to a throwaway folder: the user's own stay as they were.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="evalstudio-shots-config-")
    app = QApplication(sys.argv)
    app.setOrganizationName("EvalStudio")
    if "--readme" in sys.argv[1:]:
        for path in make_readme_images(app):
            print(f"{path} ({path.stat().st_size // 1000} KB)")
        return
    OUT.mkdir(exist_ok=True)
    for scheme in ("light", "dark"):
        shoot(app, scheme)
    print(f"screenshots in {OUT.resolve()}")


def shoot(app: QApplication, scheme: str) -> None:
    settings = QSettings("EvalStudio", "EvalStudio")
    settings.clear()
    settings.setValue("model/max_tokens", 160)
    settings.setValue("look/appearance", scheme)  # offscreen has no system scheme to follow
    folder = Path(tempfile.mkdtemp())
    workspace = open_workspace(folder / "workspace.sqlite")
    study = studies.ensure_demo_study(workspace)
    ada = evaluators.add_evaluator(workspace, "Ada Lovelace")
    items = [v.item_id for v in studies.study_items(workspace, study.id)]

    window = MainWindow(workspace)
    window.resize(1440, 900)
    window.show()

    def until(condition: Callable[[], bool], seconds: float = 120) -> None:
        end = time.monotonic() + seconds
        while not condition() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(20):  # let the last repaint land
            app.processEvents()

    def save(name: str, widget: QWidget | None = None) -> None:
        (widget or window).grab().save(str(OUT / f"{scheme}-{name}.png"))

    window.select_study(study.name)
    until(lambda: window.start_page.loaded)
    window.start_page.refresh(select_evaluator=ada.id, select_study=study.name)
    until(lambda: window.jobs.idle)
    save("1-start")

    until(lambda: window.host.ready)
    window.start_review(study, ada)
    until(lambda: window.review is not None and window.review.loaded)
    review = window.review
    assert review is not None
    review.ask(AssistKind.CRITIQUE)
    until(lambda: review.panel.streaming() is not None and review.panel.streaming().chunks > 20)
    save("2-streaming")
    until(lambda: review.panel.streaming() is None)
    if review.panel.points.count():
        review.panel.points.setCurrentRow(0)
    review.form.set_verdict(Verdict.FLAWED)
    review.form.set_quality(3)
    review.form.set_confidence(4)
    cursor = review.candidate.code.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.Down, n=4)
    cursor.movePosition(QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor)
    review.candidate.code.setTextCursor(cursor)
    review.add_flaw_from_selection()
    review.form.rationale.setPlainText("The loop bound looks right; the midpoint update may stall.")
    save("3-critique-and-judgment")

    views = studies.study_items(workspace, study.id)
    review.open_index(next(i for i, v in enumerate(views) if v.kind is Kind.TEXT))
    until(lambda: review.loaded)
    view = review.candidate.text
    shown = view.toPlainText()
    word = shown.split()[min(12, len(shown.split()) - 1)]
    cursor = view.textCursor()
    cursor.setPosition(shown.index(word))
    cursor.setPosition(shown.index(word) + len(word), QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    review.add_flaw_from_selection()
    review.ask(AssistKind.FACT_CHECK)
    until(lambda: review.panel.streaming() is None and review.panel.last_event() is not None)
    save("4-text-item-fact-check")

    # Commit before reveal, and an unassisted item, for a second evaluator.
    with workspace.db.atomic():
        study_rows.set_review_options(
            workspace.db, study.id, commit_before_reveal=True, misleading_p=0.3
        )
        grace = evaluators.add_evaluator(workspace, "Grace Hopper")
        assignments.insert_assignments(
            workspace.db,
            study.id,
            grace.id,
            [(items[2], Condition.ASSISTED), (items[5], Condition.UNASSISTED)],
        )
    window.start_review(studies.study_named(workspace, study.name), grace)
    until(lambda: window.review is not None and window.review is not review)
    until(lambda: window.review is not None and window.review.loaded)
    save("5-first-verdict-before-reveal")
    assert window.review is not None
    window.review.step(1)
    until(lambda: window.review is not None and window.review.loaded)
    save("6-unassisted")

    for name, dialog in (
        ("7-settings", SettingsDialog(window, window.settings.model_options(), {})),
        ("8-cheat-sheet", CheatSheet(window, {})),
    ):
        _show_and_save(app, dialog, OUT / f"{scheme}-{name}.png")

    setup = StudySetupDialog(window, workspace, window.jobs)
    setup.name.setText("Code review pilot")
    setup.tasks.setText(str(demo_dir() / "tasks.jsonl"))
    setup.evaluators.setPlainText("Ada Lovelace\nGrace Hopper\nLinus Pauling\nBarbara Liskov")
    setup.conditions[Condition.MISLEADING].setChecked(True)
    setup.commit_first.setChecked(True)
    setup.show()
    setup.check()
    until(lambda: bool(setup.report.toPlainText()))
    save("9-study-setup", setup)
    setup.reject()
    window.close()
    workspace.close()


def _show_and_save(app: QApplication, dialog: QDialog, path: Path) -> None:
    QTimer.singleShot(300, lambda: (dialog.grab().save(str(path)), dialog.reject()))
    dialog.exec()


if __name__ == "__main__":
    main()
