"""The main window: start page or review view, menus, status bar, settings, theme.

Wires widgets to services and does nothing else; long work goes through `Jobs`. What its parts
share (the workspace and its switching, the lanes, the model, the owner's gate) is the
`AppContext`; the parts get that, never the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Evaluator, Study
from evalstudio.core.plurals import per_second
from evalstudio.core.review import Stage
from evalstudio.services.assistance.backends import Backend
from evalstudio.services.review import restart
from evalstudio.services.review.restart import Interrupted
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.package import OpenPackage
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import ImportReport, import_tasks
from evalstudio.services.workspace.lock import WorkspaceLock
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.app_context import AppContext
from evalstudio.ui.backup_actions import BackupActions
from evalstudio.ui.cheat_sheet import CheatSheet
from evalstudio.ui.export_dialog import open_export
from evalstudio.ui.jobs import Lane
from evalstudio.ui.notice_bar import NoticeBar
from evalstudio.ui.owner_tools import OwnerTools
from evalstudio.ui.palette import follow_color_scheme
from evalstudio.ui.review.judgment_form import FIRST_NAME
from evalstudio.ui.review.review_view import ReviewView
from evalstudio.ui.review_actions import review_handlers
from evalstudio.ui.screen_fit import fit_to_screen
from evalstudio.ui.session_actions import OWNER_TOOLS_OFF, SessionActions
from evalstudio.ui.settings_dialog import SettingsDialog
from evalstudio.ui.shortcuts import ACTIONS, keys_of
from evalstudio.ui.start_page import StartPage
from evalstudio.ui.times import local_time

log = logging.getLogger(__name__)

# Short: the assistant panel's note says the rest where the answers are read (its tooltip
# here too); the status bar only keeps it in sight on every page.
DEMO_MODEL_WARNING = "tiny demo model"


class MainWindow(QMainWindow):
    def __init__(
        self,
        workspace: Workspace,
        backend: Backend | None = None,
        package: OpenPackage | None = None,
        lock: WorkspaceLock | None = None,
    ) -> None:
        """`backend`: a model already loaded by the caller (tests share one); None loads the
        one the settings name, in the background. `package`: the workspace is this session
        package, and the window opens on its evaluator's review. `lock`: the workspace's lock,
        moved along when File > Open switches workspaces."""
        super().__init__()
        self.review: ReviewView | None = None
        context = self.context = AppContext(
            workspace,
            show_message=self.show_message,
            show_error=self.show_error,
            show_busy=self.show_busy,
            package=package,
            lock=lock,
            backend=backend,
        )
        # The same for the app's life: at hand here.
        self.jobs, self.host, self.settings = context.jobs, context.host, context.settings
        self.activity = context.activity
        context.workspace_closing.connect(self.close_review)
        self.setWindowTitle("EvalStudio")
        fit_to_screen(self, 1400, 860)

        self.start_page = StartPage(context)
        self.start_page.start_requested.connect(self.start_review)
        self.start_page.problem.connect(self.show_message)
        self.backups = BackupActions(context, self)
        self.backups.restore_starting.connect(self.close_review)
        self.backups.restore_ended.connect(self.show_start)
        self.sessions = SessionActions(context, self)
        self.sessions.review_requested.connect(self.start_review)
        self.sessions.mode_changed.connect(self._show_mode)
        self.sessions.merged.connect(lambda: self.start_page.refresh())
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.notice = NoticeBar()
        self._notice_index = -1  # the review's item the notice is about
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(0)
        page_layout.addWidget(self.notice)
        page_layout.addWidget(self.stack, 1)
        self.setCentralWidget(page)

        self.model_label = QLabel()
        self.progress_label = QLabel()
        self.time_label = QLabel()
        # The bundled model only shows the app works: say so wherever it is the one in use.
        self.model_warning = QLabel(DEMO_MODEL_WARNING)
        self.model_warning_icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.model_warning_icon.setPixmap(warning.pixmap(size, size))
        for label in (self.model_warning, self.model_warning_icon):
            label.setToolTip(
                "SmolLM2-135M is bundled so EvalStudio runs out of the box; it is too small to "
                "judge answers. File › Settings chooses a GGUF model file or an "
                "OpenAI-compatible server."
            )
            label.hide()
        self.statusBar().addPermanentWidget(self.sessions.mode_label)
        for label in (
            self.progress_label,
            self.time_label,
            self.model_label,
            self.model_warning_icon,
            self.model_warning,
        ):
            self.statusBar().addPermanentWidget(label)
        self.host.state_changed.connect(self._model_state)
        self._model_text = ""

        self.review_actions: dict[str, QAction] = {}
        self._build_menus()
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(500)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()

        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self.apply_theme())
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme = follow_color_scheme(app, self.settings.appearance())
        self.host.load()
        self.backups.opened()
        # A session package's review is opened by `follow`, which looks for an interrupted
        # one itself; a workspace looks here.
        self._crash_check = package is not None
        if package is None:
            self._reopen_interrupted()
        self.sessions.follow()

    # -- menus and keys -----------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        _add(file_menu, "&Open…", self._open_workspace, QKeySequence.StandardKey.Open)
        # What changes the study or other people's work asks the owner first (owner_gate.py).
        owners = self.context.gate.guarded
        self.import_action = _add(file_menu, "&Import tasks…", owners(self, self._import_tasks))
        _add(file_menu, "&Export…", lambda: open_export(self, self.context, self.current_study()))
        self.merge_action = _add(
            file_menu, "&Merge returned sessions…", owners(self, self.sessions.choose_and_merge)
        )
        self.restore_action = _add(
            file_menu, "Restore from a &backup…", owners(self, self.backups.choose_and_restore)
        )
        self.recent_menu = file_menu.addMenu("&Recent studies")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.back_action = _add(file_menu, "&Back to the studies", self.show_start)
        file_menu.addSeparator()
        _add(file_menu, "&Settings…", self.open_settings, QKeySequence("Ctrl+,"))
        file_menu.addSeparator()
        _add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        self.owner_menu = self.menuBar().addMenu("&Owner")
        self.owner_tools = OwnerTools(self.context, self, self.current_study)
        self.owner_tools.study_created.connect(self._study_created)
        self.owner_tools.fill(self.owner_menu)

        self.review_menu = self.menuBar().addMenu("&Review")
        handlers = self._handlers()
        group = ""
        for action in ACTIONS:
            if action.group == "Help":
                continue
            if group and action.group != group:
                self.review_menu.addSeparator()
            group = action.group
            qaction = self.review_menu.addAction(action.label)
            qaction.triggered.connect(handlers[action.id])
            self.review_actions[action.id] = qaction
        help_menu = self.menuBar().addMenu("&Help")
        cheat = help_menu.addAction("&Keyboard shortcuts")
        cheat.triggered.connect(self.show_cheat_sheet)
        self.review_actions["cheat_sheet"] = cheat
        _add(help_menu, "&About EvalStudio", self._about)
        self.apply_shortcuts()
        self._enable_review_actions(False)

    def apply_shortcuts(self) -> None:
        overrides = self.settings.shortcuts()
        for action_id, qaction in self.review_actions.items():
            qaction.setShortcuts([QKeySequence(k) for k in keys_of(action_id, overrides)])
            # Window-wide: a key works wherever the focus is (text fields still get typing).
            qaction.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(qaction)

    def _handlers(self) -> dict[str, Callable[[], None]]:
        handlers = review_handlers(lambda: self.review)
        handlers["cheat_sheet"] = self.show_cheat_sheet
        return handlers

    def _enable_review_actions(self, enabled: bool) -> None:
        for action_id, qaction in self.review_actions.items():
            if action_id != "cheat_sheet":
                qaction.setEnabled(enabled)
        self.back_action.setEnabled(enabled)

    def _show_mode(self, package: bool) -> None:
        """A session package holds no answer key for the owner's tools, and one study: its
        own; its work is merged into the owner's workspace, not the other way."""
        self.owner_menu.setEnabled(not package)
        self.owner_menu.menuAction().setToolTip(OWNER_TOOLS_OFF if package else "")
        self.import_action.setEnabled(not package)
        self.merge_action.setEnabled(not package)
        self.start_page.set_package(package)

    # -- pages ----------------------------------------------------------------------------------

    def select_study(self, name: str) -> None:
        self.start_page.refresh(select_study=name, select_evaluator=self.settings.last_evaluator())

    def current_study(self) -> str | None:
        """The study under review, else the one chosen on the start page."""
        if self.review is not None:
            return self.review.session.study.name
        chosen = self.start_page.selected_study()
        return chosen.name if chosen else None

    def start_review(self, study: Study, evaluator: Evaluator) -> None:
        """Open the review view on the evaluator's queue, at the item they go on with (the
        one the last run had open, if it was killed there)."""
        workspace = self.context.workspace
        check, self._crash_check = self._crash_check, False

        def load() -> tuple[ReviewSession, int, str]:
            fresh = studies.study_named(workspace, study.name)  # options may have changed
            session = ReviewSession(workspace, fresh, evaluator)
            return _reopened_at(session, restart.interrupted(workspace) if check else None)

        self.jobs.run(Lane.DATA, load, done=lambda found: self._show_review(*found))

    def _reopen_interrupted(self) -> None:
        """At start: if the last run ended (killed, crashed) with a review open, reopen it on
        that item with its draft, and say so; after a clean close, stay on the start page."""
        workspace = self.context.workspace

        def load() -> tuple[ReviewSession, int, str] | None:
            found = restart.interrupted(workspace)
            if found is None:
                return None
            return _reopened_at(ReviewSession(workspace, found.study, found.evaluator), found)

        def done(found: tuple[ReviewSession, int, str] | None) -> None:
            if found is not None and self.review is None:  # not if a review started meanwhile
                self._show_review(*found)

        self.jobs.run(Lane.DATA, load, done=done)

    def _show_review(self, session: ReviewSession, index: int, notice: str = "") -> None:
        if not session.queue:
            self.show_message(f"The study '{session.study.name}' has no items yet.")
            return
        self.close_review()
        review = ReviewView(session, self.jobs, self.host, self.activity, self.settings, self.theme)
        review.status_changed.connect(self._update_status)
        review.problem.connect(self.show_message)
        self.review = review
        self.stack.addWidget(review)
        self.stack.setCurrentWidget(review)
        self._enable_review_actions(True)
        self.settings.add_recent_study(self.context.workspace.path, session.study.name)
        self.settings.set_last_evaluator(session.evaluator.id)
        self.setWindowTitle(f"EvalStudio — {session.study.name} — {session.evaluator.name}")
        review.open_index(index)
        review.focus_home()
        if notice:
            self.show_message(notice)
            self.notice.show_text(notice)
            self._notice_index = index

    def close_review(self) -> None:
        self.notice.hide()
        if self.review is None:
            return
        self.review.save_draft()
        workspace = self.review.session.workspace
        self.jobs.run(Lane.DATA, lambda: restart.record_closed(workspace))
        self.review.stop()
        self.review.save_layout()
        self.stack.removeWidget(self.review)
        self.review.deleteLater()
        self.review = None
        self._enable_review_actions(False)

    def show_start(self) -> None:
        self.close_review()
        self.setWindowTitle("EvalStudio")
        self.stack.setCurrentWidget(self.start_page)
        self.start_page.refresh()

    # -- dialogs --------------------------------------------------------------------------------

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self,
            self.settings.model_options(),
            self.settings.shortcuts(),
            self.settings.appearance(),
        )
        if not dialog.exec():
            return
        before = self.settings.model_options()
        self.settings.set_model_options(dialog.model_options())
        self.settings.set_shortcuts(dialog.shortcut_overrides())
        self.settings.set_appearance(dialog.appearance())
        self.apply_shortcuts()
        self.apply_theme()
        if dialog.model_options() != before:
            self.host.load(self.context.model_settings()[0])

    def show_cheat_sheet(self) -> None:
        CheatSheet(self, self.settings.shortcuts()).exec()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About EvalStudio",
            "<b>EvalStudio</b><br>AI-assisted evaluation with a local model.<br>"
            f"Workspace: {self.context.workspace.path}",
        )

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_studies()
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for path, name in recent:
            label = name if Path(path) == self.context.workspace.path else f"{name} — {path}"
            action = self.recent_menu.addAction(label)
            action.triggered.connect(lambda _=False, p=path, n=name: self._open_recent(p, n))

    def _open_recent(self, path: str, name: str) -> None:
        def chosen() -> None:
            self.show_start()
            self.select_study(name)

        if Path(path) != self.context.workspace.path:
            self._switch_workspace(Path(path), then=chosen)
        elif self.context.package is None:  # a package is on its review
            chosen()

    def _open_workspace(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Open a workspace or session package, or create a workspace",
            str(self.context.workspace.path.parent),
            "EvalStudio workspaces and session packages (*.sqlite *.evs);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self._switch_workspace(Path(path), then=self.show_start)

    def _switch_workspace(self, path: Path, then: Callable[[], None] | None = None) -> bool:
        """Switch to `path` (AppContext.switch); once it is open, a session package has asked
        for its evaluator's review, and a workspace runs `then()`. False if refused."""

        def opened() -> None:
            if self.context.package is None and then is not None:
                then()

        return self.context.switch(path, done=opened)

    def _import_tasks(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import tasks", "", "Task files (*.jsonl *.csv);;All files (*)"
        )
        if not path:
            return
        name, ok = QInputDialog.getText(
            self,
            "Import tasks",
            "Study name (a new study, or one to add to):",
            text=Path(path).stem,
        )
        if not ok or not name.strip():
            return
        workspace = self.context.workspace

        def imported(report: object) -> None:
            self.show_message(f"Imported {Path(path).name} into '{name.strip()}'.")
            self.show_start()
            self.select_study(name.strip())
            warning = report.naming_warning if isinstance(report, ImportReport) else None
            if warning:  # record ids that name the truth: imported, but the owner should know
                QMessageBox.warning(self, "Imported, with a warning", warning)

        self.jobs.run(
            Lane.DATA, lambda: import_tasks(workspace, Path(path), name.strip()), done=imported
        )

    # -- status, messages, theme ----------------------------------------------------------------

    def _study_created(self, name: str) -> None:
        self.show_start()
        self.select_study(name)
        self.show_message(f"Created the study '{name}'.")

    def _model_state(self, text: str) -> None:
        self._model_text = text
        demo = self.host.settings.uses_bundled_model()
        self.model_warning.setVisible(demo)
        self.model_warning_icon.setVisible(demo)
        self._update_status()

    def _update_status(self) -> None:
        review = self.review
        model = self._model_text
        if review is None:
            self.progress_label.clear()
            self.time_label.clear()
        else:
            if review.index != self._notice_index:
                self.notice.hide()  # about an item no longer on screen
            done, total = len(review.done), len(review.session.queue)
            first = FIRST_NAME[review.entry.item.layout] if review.stage is Stage.FIRST else ""
            stage = f" · {first}" if first else ""
            self.progress_label.setText(f"Item {review.index + 1} of {total} · {done} done{stage}")
            seconds = self.activity.active_ms() // 1000
            idle = " (paused: idle)" if self.activity.idle() else ""
            self.time_label.setText(f"On item {seconds // 60}:{seconds % 60:02d}{idle}")
            live = review.panel.streaming()
            if live is not None:
                rate = per_second(live.tokens_per_second(), "token")
                model = f"Model: {self.host.model_id} generating" + (f" · {rate}" if rate else "…")
        self.model_label.setText(model)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)
        if self.review is not None and text.startswith("Not saved"):
            QMessageBox.warning(self, "EvalStudio", text)

    def show_busy(self, text: str) -> Callable[[], None]:
        """Say `text` while work is under way (no time limit: it may take a while); the call
        returned takes it back when the work ends, unless another message replaced it."""
        bar = self.statusBar()
        bar.showMessage(text)

        def ended() -> None:
            if bar.currentMessage() == text:
                bar.clearMessage()

        return ended

    def show_error(self, error: BaseException) -> None:
        """The one place a background failure reaches the user: a message, never a traceback."""
        if isinstance(error, EvalStudioError):
            text = str(error)
        else:
            log.error("unexpected error", exc_info=error)
            text = f"Something went wrong: {error!r}. The details are in the log."
        self.statusBar().showMessage(text, 10000)
        QMessageBox.warning(self, "EvalStudio", text)

    def apply_theme(self) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme = follow_color_scheme(app, self.settings.appearance())
        if self.review is not None:
            self.review.set_theme(self.theme)

    # -- closing ----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the draft, stop the model, finish every queued write, then close."""
        if not self.jobs.closed:
            self.close_review()
            workspace = self.context.workspace  # also one restored from a backup with a review
            self.jobs.run(Lane.DATA, lambda: restart.record_closed(workspace))
            self.owner_tools.stop()
            self._status_timer.stop()
            self.context.close()
        super().closeEvent(event)


def _reopened_at(
    session: ReviewSession, found: Interrupted | None
) -> tuple[ReviewSession, int, str]:
    """Where the session opens and what the window says: the item a killed run had open in
    it, with the notice of its restored draft; else where the evaluator goes on, silently."""
    if (
        found is None
        or (found.study.id, found.evaluator.id) != (session.study.id, session.evaluator.id)
        or found.item_id not in session.item_ids()
    ):
        return session, session.resume_index(), ""
    index = session.index_of(found.item_id)
    if found.draft_saved_at is None:
        notice = (
            f"EvalStudio did not close properly last time: reopened item {index + 1}, where "
            "you were (nothing had been typed on it)."
        )
    else:
        notice = (
            f"Restored your unsaved draft of item {index + 1} from "
            f"{local_time(found.draft_saved_at)}: EvalStudio did not close properly last time."
        )
    return session, index, notice


def _add(
    menu: QMenu,
    text: str,
    slot: Callable[[], object],
    key: QKeySequence | QKeySequence.StandardKey | None = None,
) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(slot)
    if key is not None:
        action.setShortcut(key)
    return action
