"""Never lose work: the app is killed (SIGKILL) while an evaluator types; reopened, it returns
by itself to the same item with the draft restored, and says so. A clean quit reopens on the
start page."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from support.windows import open_main_window, start_review, wait_for_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.model import Verdict
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Lane

# The evaluator's app: opens the third item, picks a verdict, types, and keeps running until
# killed. A server backend nobody listens on keeps this process off the CPU-bound model.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from evalstudio.services.workspace import evaluators
    from evalstudio.services.studies import studies
    from evalstudio.services.review.session import ReviewSession
    from evalstudio.services.workspace.opening import open_workspace
    from evalstudio.ui.main_window import MainWindow

    app = QApplication(sys.argv)
    QSettings("EvalStudio", "EvalStudio").setValue("model/server_url", "http://127.0.0.1:9/v1")
    workspace = open_workspace(Path(sys.argv[1]))
    study = studies.study_named(workspace, studies.DEMO_STUDY)
    ada = evaluators.list_evaluators(workspace)[0]
    window = MainWindow(workspace)
    window.show()

    def until(condition):
        while not condition():
            app.processEvents()
            time.sleep(0.005)

    window.start_review(study, ada)
    until(lambda: window.review is not None and window.review.loaded)
    review = window.review
    review.open_index(2)
    until(lambda: review.loaded)
    review.candidate.code.setFocus()
    QTest.keyClicks(review.candidate.code, "f")
    QTest.keyClicks(review.form.rationale, "line 4 looks off")
    item = review.entry.item.item_id
    session = ReviewSession(workspace, study, ada)

    def saved():
        draft = session.state(item).item.draft
        return draft is not None and draft.rationale == "line 4 looks off"

    until(saved)
    print("saved", flush=True)
    until(lambda: False)
    """
)


@pytest.fixture
def clean_settings() -> Iterator[None]:
    QSettings("EvalStudio", "EvalStudio").clear()
    yield
    QSettings("EvalStudio", "EvalStudio").clear()


def test_a_killed_app_reopens_on_the_same_item_with_the_draft(
    qtbot: QtBot,
    workspace: Workspace,
    workspace_path: Path,
    local_backend: LocalLlama,
    clean_settings: None,
) -> None:
    study = studies.ensure_demo_study(workspace)
    ada = evaluators.add_evaluator(workspace, "Ada")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(workspace_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved"
    finally:
        child.send_signal(signal.SIGKILL)  # no close event, no shutdown: a crash
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    # Nobody chooses anything: the window reopens the review by itself.
    with open_main_window(qtbot, workspace, local_backend) as window:
        review = wait_for_review(qtbot, window)
        assert (review.session.study.id, review.session.evaluator.id) == (study.id, ada.id)
        assert review.index == 2
        form = review.form.form()
        assert form.verdict is Verdict.FLAWED and form.rationale == "line 4 looks off"
        assert window.notice.isVisible()
        assert window.notice.text.text().startswith("Restored your unsaved draft of item 3 from ")
        assert window.statusBar().currentMessage() == window.notice.text.text()


def test_a_clean_quit_opens_on_the_start_page(
    qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama, clean_settings: None
) -> None:
    study = studies.ensure_demo_study(workspace)
    ada = evaluators.add_evaluator(workspace, "Ada")
    with open_main_window(qtbot, workspace, local_backend) as window:
        review = start_review(qtbot, window, study, ada)
        review.open_index(2)
        qtbot.waitUntil(lambda: review.loaded)
        qtbot.keyClicks(review.form.rationale, "line 4 looks off")
    # Closed in order (the draft stays, for Continue); the next start is the start page.
    with open_main_window(qtbot, workspace, local_backend) as window:
        settled: list[bool] = []
        window.jobs.run(Lane.DATA, lambda: None, done=lambda _: settled.append(True))
        qtbot.waitUntil(lambda: bool(settled))  # the lane is in order: the check came back
        assert window.review is None and window.stack.currentWidget() is window.start_page
        assert not window.notice.isVisible()
