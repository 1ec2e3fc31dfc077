"""The main window: the workspace's studies, a study's items, and the selected item.

Wires widgets to services and does nothing else; the review view replaces the item pane.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.model import ItemView, Kind, Study, StudySummary
from evalstudio.render.code_html import code_to_html
from evalstudio.render.safe_markdown import markdown_to_html
from evalstudio.services import studies
from evalstudio.services.resources import bundled_model
from evalstudio.services.workspace import Workspace

_ROLE = Qt.ItemDataRole.UserRole


class MainWindow(QMainWindow):
    """Studies on the left, the chosen study's items in the middle, the item on the right."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.setWindowTitle("EvalStudio")
        self.resize(1280, 800)

        self.study_list = QListWidget()
        self.study_list.setAccessibleName("Studies")
        self.item_list = QListWidget()
        self.item_list.setAccessibleName("Items")
        self.item_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.item_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.prompt_view = _markdown_view()
        self.candidate_view = _markdown_view()
        self.candidate_view.setLineWrapMode(QTextBrowser.LineWrapMode.NoWrap)
        self.candidate_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_view = _markdown_view()
        self.candidate_stack = QStackedWidget()
        self.candidate_stack.addWidget(self.candidate_view)
        self.candidate_stack.addWidget(self.text_view)
        self._guidelines = ""

        splitter = QSplitter()
        splitter.addWidget(_titled("Studies", self.study_list))
        splitter.addWidget(_titled("Items", self.item_list))
        item_pane = QSplitter(Qt.Orientation.Vertical)
        item_pane.addWidget(_titled("Task", self.prompt_view))
        item_pane.addWidget(_titled("Candidate answer", self.candidate_stack))
        item_pane.setSizes([250, 550])
        splitter.addWidget(item_pane)
        splitter.setSizes([260, 320, 700])
        self.setCentralWidget(splitter)

        self.study_list.currentItemChanged.connect(self._show_study)
        self.item_list.currentItemChanged.connect(self._show_item)
        self._add_menu()
        self.model_label = QLabel(f"Model: {bundled_model().stem} (bundled)")
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().showMessage(f"Workspace: {workspace.path}")
        self.refresh()

    def _add_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        go = self.menuBar().addMenu("&Go")
        for text, key, step in (("&Next item", "J", 1), ("&Previous item", "K", -1)):
            action = go.addAction(text)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, s=step: self._step_item(s))

    def refresh(self) -> None:
        """Reload the study list from the workspace."""
        self.study_list.clear()
        for summary in studies.list_studies(self.workspace):
            entry = QListWidgetItem(_study_label(summary))
            entry.setData(_ROLE, summary.study)
            entry.setToolTip(summary.study.name)
            self.study_list.addItem(entry)

    def select_study(self, name: str) -> None:
        for row in range(self.study_list.count()):
            entry = self.study_list.item(row)
            if entry.text().split("\n")[0] == name:
                self.study_list.setCurrentRow(row)
                return

    def _show_study(self, current: QListWidgetItem | None) -> None:
        self.item_list.clear()
        if current is None:
            return
        study: Study = current.data(_ROLE)
        self._guidelines = study.guidelines
        self.setWindowTitle(f"EvalStudio — {study.name}")
        for item in studies.study_items(self.workspace, study.id):
            entry = QListWidgetItem(_item_label(item))
            entry.setData(_ROLE, item)
            entry.setToolTip(_plain_first_line(item.task_prompt))
            self.item_list.addItem(entry)
        if self.item_list.count():
            self.item_list.setCurrentRow(0)

    def _show_item(self, current: QListWidgetItem | None) -> None:
        if current is None:
            self.prompt_view.clear()
            self.candidate_view.clear()
            self.text_view.clear()
            return
        item: ItemView = current.data(_ROLE)
        guidelines = f"\n\n---\n\n{self._guidelines}" if self._guidelines else ""
        _show_markdown(self.prompt_view, item.task_prompt + guidelines)
        if item.kind is Kind.CODE:
            self.candidate_view.setHtml(code_to_html(item.candidate, item.language))
            self.candidate_stack.setCurrentWidget(self.candidate_view)
        else:
            _show_markdown(self.text_view, item.candidate)
            self.candidate_stack.setCurrentWidget(self.text_view)
        self.statusBar().showMessage(
            f"Item {item.position + 1} of {self.item_list.count()} · {item.kind.value}"
            f" · {item.language}"
        )

    def _step_item(self, step: int) -> None:
        row = self.item_list.currentRow() + step
        if 0 <= row < self.item_list.count():
            self.item_list.setCurrentRow(row)


def _markdown_view() -> QTextBrowser:
    view = QTextBrowser()
    view.setOpenLinks(False)  # a link in a candidate must not navigate the view away
    return view


def _show_markdown(view: QTextBrowser, text: str) -> None:
    """Rendered Markdown, inert: candidates and prompts are data, not markup."""
    view.setHtml(markdown_to_html(text))
    view.moveCursor(QTextCursor.MoveOperation.Start)  # else it opens scrolled to the end


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    label = QLabel(f"<b>{title}</b>")
    label.setBuddy(widget)
    layout.addWidget(label)
    layout.addWidget(widget)
    return box


def _study_label(summary: StudySummary) -> str:
    return (
        f"{summary.study.name}\n{summary.items} items · {summary.code_items} code · "
        f"{summary.text_items} text · {summary.pairs} pairs"
    )


def _plain_first_line(markdown: str) -> str:
    lines = markdown.strip().splitlines()
    return lines[0].lstrip("# ").replace("`", "").replace("**", "") if lines else ""


def _item_label(item: ItemView) -> str:
    return f"{item.position + 1:>3}. [{item.kind.value}] {_plain_first_line(item.task_prompt)}"
