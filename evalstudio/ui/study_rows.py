"""The start page's rows: a study's name, its counts, and the chosen evaluator's progress in it
(a bar, done of total, when they last worked on it), drawn by a delegate so that selection and
keys behave as in any list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from evalstudio.core.model import StudySummary
from evalstudio.core.plurals import counted
from evalstudio.services.review.progress import StudyProgress
from evalstudio.ui.times import local_time

STUDY_ROLE = Qt.ItemDataRole.UserRole
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
_PAD = 8
_BAR_WIDTH = 160

Index = QModelIndex | QPersistentModelIndex


def counts_line(summary: StudySummary) -> str:
    return (
        f"{counted(summary.items, 'item')} · {summary.code_items} code · {summary.text_items} text"
    )


def progress_line(progress: StudyProgress | None) -> str:
    """'5 of 22 done · last worked on 17:40', or that the evaluator has not started."""
    if progress is None:
        return ""
    if progress.total == 0:
        return "No items for you in this study"
    done = f"{progress.done} of {progress.total} done" + (" ✓" if progress.finished else "")
    if progress.last_worked is None:
        return f"{done} · not started"
    return f"{done} · last worked on {local_time(progress.last_worked)}"


def row_text(summary: StudySummary, progress: StudyProgress | None) -> str:
    """The row as text: what a screen reader says, and what the delegate draws."""
    lines = [summary.study.name, counts_line(summary), progress_line(progress)]
    return "\n".join(line for line in lines if line)


class StudyRowDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        lines = 3 if index.data(PROGRESS_ROLE) is not None else 2
        height = option.fontMetrics.lineSpacing()
        return QSize(300, lines * (height + 4) + 2 * _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        summary: StudySummary = index.data(STUDY_ROLE)
        progress: StudyProgress | None = index.data(PROGRESS_ROLE)
        widget: QWidget | None = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # The background and selection as the style draws them for any row.
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)

        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        muted_role = text_role if selected else QPalette.ColorRole.PlaceholderText
        rect: QRect = option.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        line = option.fontMetrics.lineSpacing() + 4
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(text_role))
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elide = Qt.TextElideMode.ElideRight
        name = painter.fontMetrics().elidedText(summary.study.name, elide, rect.width())
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), line), flags, name)
        painter.setFont(option.font)
        painter.setPen(palette.color(muted_role))
        painter.drawText(
            QRect(rect.left(), rect.top() + line, rect.width(), line), flags, counts_line(summary)
        )
        if progress is not None:
            top = rect.top() + 2 * line
            text_left = rect.left()
            if progress.total:
                _draw_bar(
                    painter,
                    QRect(rect.left(), top + 4, _BAR_WIDTH, line - 8),
                    progress,
                    palette,
                    selected,
                )
                text_left += _BAR_WIDTH + _PAD
            painter.setPen(palette.color(text_role))
            painter.drawText(
                QRect(text_left, top, rect.right() - text_left, line),
                flags,
                progress_line(progress),
            )
        painter.restore()


def _draw_bar(
    painter: QPainter, rect: QRect, progress: StudyProgress, palette: QPalette, selected: bool
) -> None:
    """Done of total as a bar, drawn here rather than by the style: on a selected row the
    style's bar would be the selection's own colour, and vanish."""
    fill = palette.color(
        QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Highlight
    )
    edge = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Mid)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(edge)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 3, 3)
    done = rect.adjusted(2, 2, -2, -2)
    done.setWidth(round(done.width() * progress.done / progress.total))
    if done.width() > 0:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(done, 2, 2)
