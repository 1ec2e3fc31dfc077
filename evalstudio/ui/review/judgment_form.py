"""The judgment form: verdict, quality 1-7, confidence 1-5, flaws found, rationale, the study's
rubric questions, submit/skip. On a compare or rank item the verdict, quality and flaws give way
to the answers' order (ui/review/compare_form.py, ui/review/rank_form.py)."""

from __future__ import annotations

import html
import itertools
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evalstudio.core.comparison import CompareScale, Layout, Side
from evalstudio.core.model import Severity, Verdict
from evalstudio.core.review import (
    CONFIDENCE_RANGE,
    QUALITY_RANGE,
    FlawSource,
    JudgmentForm,
    ReportedFlaw,
    Stage,
)
from evalstudio.core.rubric import Question
from evalstudio.ui.labels import hint, lines_text
from evalstudio.ui.palette import error_label, set_style
from evalstudio.ui.review.compare_form import CompareForm
from evalstudio.ui.review.judgment_style import checked_style
from evalstudio.ui.review.rank_form import RankForm
from evalstudio.ui.review.rubric_form import RubricForm

# What the judgment committed before the assistant opens is called on each layout.
FIRST_NAME = {
    Layout.SINGLE: "first verdict",
    Layout.COMPARE: "first pick",
    Layout.RANK: "first order",
}
_FINAL_TEXT = "<b>Your judgment</b>"
_ORDER_TEXT = {
    Layout.COMPARE: "<b>Your judgment</b> — which answer is better",
    Layout.RANK: "<b>Your judgment</b> — the answers in order, best first",
}


class JudgmentFormView(QWidget):
    changed = Signal()
    submit_requested = Signal()
    skip_requested = Signal()
    add_flaw_requested = Signal()
    flaw_selected = Signal(object)  # LineRange or None

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Judgment")
        self.stage = Stage.FINAL
        self.layout_ = Layout.SINGLE
        self._flaws: list[ReportedFlaw] = []
        self._loading = False
        self.source_text = ""  # the candidate, to quote a text flaw's passage

        self.stage_label = QLabel(_FINAL_TEXT)
        self.verdict_flawed = QRadioButton("Contains a &flaw")
        self.verdict_acceptable = QRadioButton("&Acceptable")
        self.verdicts = QButtonGroup(self)
        self.verdicts.addButton(self.verdict_flawed)
        self.verdicts.addButton(self.verdict_acceptable)
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict_flawed)
        verdict_row.addWidget(self.verdict_acceptable)
        verdict_row.addStretch()

        self.quality, quality_row = _scale(self, QUALITY_RANGE, "1 poor · 7 excellent")
        self.confidence, confidence_row = _scale(self, CONFIDENCE_RANGE, "1 guessing · 5 certain")

        self.flaw_table = QTableWidget(0, 4)
        self.flaw_table.setAccessibleName("Flaws found")
        self.flaw_table.setHorizontalHeaderLabels(["Where", "Severity", "Description", "From"])
        header = self.flaw_table.horizontalHeader()
        for column in (0, 1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.flaw_table.verticalHeader().setVisible(False)
        self.flaw_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Tab leaves the table (arrow keys move between its cells): Tab from cell to cell would
        # never get out of it.
        self.flaw_table.setTabKeyNavigation(False)
        # It asks for the height its rows fill, as the rationale its text's (below).
        self.flaw_table.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
        self.flaw_table.itemChanged.connect(self._description_edited)
        self.flaw_table.currentCellChanged.connect(self._flaw_chosen)
        add = QPushButton("Add from selection (L)")
        add.clicked.connect(self.add_flaw_requested.emit)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_flaw)
        flaw_buttons = QHBoxLayout()
        flaw_buttons.addWidget(add)
        flaw_buttons.addWidget(remove)
        flaw_buttons.addStretch()
        flaws = QVBoxLayout()
        flaws.addWidget(self.flaw_table)
        flaws.addLayout(flaw_buttons)

        self.rationale = QPlainTextEdit()
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setPlaceholderText("Why? What did you check? (N to focus, Esc to leave)")
        self.rationale.setTabChangesFocus(True)  # Tab moves on, as everywhere else in the view
        # The height its text fills is what it asks for: so the form asks (and the review view
        # gives it beside the assistant) what shows the rubric questions whole, not what an
        # empty box would like (about 190 px each, the questions then left one line).
        self.rationale.setSizeAdjustPolicy(QPlainTextEdit.SizeAdjustPolicy.AdjustToContents)
        self.rationale.textChanged.connect(self._edited)

        self.skip_button = QPushButton("Skip…")
        self.skip_button.clicked.connect(self.skip_requested.emit)
        self.submit_button = QPushButton("Submit  (Ctrl+Enter)")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit_requested.emit)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        error_label(self.problem)
        actions = QHBoxLayout()
        actions.addWidget(self.problem, 1)
        actions.addWidget(self.skip_button)
        actions.addWidget(self.submit_button)

        # A compare or rank item's order, in place of the verdict, quality and flaws.
        self.compare = CompareForm()
        self.compare.changed.connect(self._edited)
        self.rank = RankForm()
        self.rank.changed.connect(self._edited)

        self.fields = QFormLayout()
        self.fields.addRow("Which is better", self.compare)
        self.fields.addRow("Ranking", self.rank)
        self.fields.addRow("Verdict", verdict_row)
        self.fields.addRow("Quality", quality_row)
        self.fields.addRow("Confidence", confidence_row)
        self.fields.addRow("Flaws", flaws)
        self._verdict_row, self._quality_row, self._flaw_rows = verdict_row, quality_row, flaws
        self.fields.addRow("Rationale", self.rationale)
        # The study's own questions, below the built-in form (ui/review/rubric_form.py).
        self.rubric = RubricForm()
        self.rubric.changed.connect(self._edited)
        # Scrolled, never squeezed: at 1280×720 it shares the height with the rationale.
        self.rubric_box = QScrollArea()
        self.rubric_box.setWidget(self.rubric)
        self.rubric_box.setWidgetResizable(True)
        self.rubric_box.setFrameShape(QFrame.Shape.NoFrame)
        self.rubric_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Not a stop of Tab itself (it was one, before the first question, doing nothing):
        # the questions are, each scrolled into view as it takes the keyboard.
        self.rubric_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rubric.focused.connect(self.rubric_box.ensureWidgetVisible)
        self.rubric_box.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage_label)
        layout.addLayout(self.fields)
        # Beside the form's fields, not in them: a form layout shares extra height evenly,
        # a box layout by stretch, so the questions grow to their full height first.
        layout.addWidget(self.rubric_box, 1)
        layout.addLayout(actions)

        for group in (self.verdicts, self.quality, self.confidence):
            group.buttonToggled.connect(lambda *_: self._edited())
        self._show_rows()

    # -- reading and writing the form ---------------------------------------------------------

    def set_layout(self, layout: Layout, sides: tuple[Side, ...], scale: CompareScale) -> None:
        """Make the form the one an item of `layout` is judged with: its answers as shown and
        the study's comparison scale. Call before `set_form`."""
        self.layout_ = layout
        if layout is Layout.COMPARE:
            self.compare.set_item(sides, scale)
        elif layout is Layout.RANK:
            self.rank.set_item(sides)
        self._show_rows()

    def digit(self, n: int) -> None:
        """A digit key: the quality of a single answer, a comparison's scale point, or the
        answer to rank next (1 = A)."""
        if self.layout_ is Layout.COMPARE:
            self.compare.choose(n)
        elif self.layout_ is Layout.RANK:
            self.rank.pick(n - 1)
        elif n in QUALITY_RANGE:  # 8 and 9 (a ranking's) would clear the quality
            self.set_quality(n)

    def form(self, active_ms: int = 0) -> JudgmentForm:
        if self.layout_ is not Layout.SINGLE:
            return JudgmentForm(
                confidence=_checked(self.confidence),
                rationale=self.rationale.toPlainText(),
                active_ms=active_ms,
                answers=self.rubric.answers(),
                ordering=(
                    self.compare.ordering()
                    if self.layout_ is Layout.COMPARE
                    else self.rank.ordering()
                ),
            )
        verdict = (
            Verdict.FLAWED
            if self.verdict_flawed.isChecked()
            else Verdict.ACCEPTABLE
            if self.verdict_acceptable.isChecked()
            else None
        )
        return JudgmentForm(
            verdict=verdict,
            quality=_checked(self.quality) if self.stage is Stage.FINAL else None,
            confidence=_checked(self.confidence),
            flaws=tuple(self._flaws),
            rationale=self.rationale.toPlainText(),
            active_ms=active_ms,
            answers=self.rubric.answers(),
        )

    def set_form(
        self,
        form: JudgmentForm | None,
        stage: Stage,
        *,
        revision: bool,
        skipped_reason: str | None = None,
    ) -> None:
        """Show `form` (empty if None) at `stage`; `revision` when a judgment (or a skip, with
        its reason) exists already."""
        self._loading = True
        form = form or JudgmentForm()
        self.stage = stage
        if skipped_reason is not None:
            note = (
                f" — you skipped it ({html.escape(skipped_reason)}); a judgment replaces the skip"
            )
        elif revision:
            note = " — submitted; a change is saved as a revision"
        else:
            note = ""
        self.stage_label.setText(_heading(self.layout_, stage) + note)
        self.submit_button.setText(
            f"Commit {FIRST_NAME[self.layout_]}  (Ctrl+Enter)"
            if stage is Stage.FIRST
            else "Submit revision  (Ctrl+Enter)"
            if revision
            else "Submit  (Ctrl+Enter)"
        )
        self._show_rows()
        # Asked with the final judgment; typed before a first one, they wait in the draft.
        self.rubric_box.setVisible(stage is Stage.FINAL and bool(self.rubric.fields))
        _set_exclusive_checked(self.verdicts, None)
        if form.verdict is Verdict.FLAWED:
            self.verdict_flawed.setChecked(True)
        elif form.verdict is Verdict.ACCEPTABLE:
            self.verdict_acceptable.setChecked(True)
        _set_exclusive_checked(self.quality, form.quality)
        _set_exclusive_checked(self.confidence, form.confidence)
        self._flaws = list(form.flaws)
        self._fill_flaws()
        if self.layout_ is Layout.COMPARE:
            self.compare.set_ordering(form.ordering)
        elif self.layout_ is Layout.RANK:
            self.rank.set_ordering(form.ordering)
        self.rubric.set_answers(form.answers)
        if self.rationale.toPlainText() != form.rationale:
            self.rationale.setPlainText(form.rationale)
        self.problem.clear()
        self._loading = False

    def set_questions(self, questions: tuple[Question, ...]) -> None:
        """The study's rubric questions, shown below the built-in form at the final stage."""
        self.rubric.set_questions(questions)
        # Tab goes from the rationale through the questions to Skip and Submit, as they are
        # shown: made after the buttons, they would come after them (and after the window's
        # other widgets) in the order Qt keeps by creation.
        order = [self.rationale, *self.rubric.fields, self.skip_button, self.submit_button]
        for before, after in itertools.pairwise(order):
            QWidget.setTabOrder(before, after)
        self.rubric_box.setVisible(bool(questions) and self.stage is Stage.FINAL)
        if not questions:
            return
        # The first question in view at least, every question when the window has room (the
        # flaws and the rationale take what is left); the rest scroll on a small screen.
        shown = self.rubric.fields[0].sizeHint().height() + 2 * self.fontMetrics().height()
        self.rubric_box.setMinimumHeight(shown)
        self.rubric_box.setMaximumHeight(self.rubric.sizeHint().height() + 2)

    def wanted_height(self) -> int:
        """The height that shows the form with its questions whole (a scroll area's own wish
        is the one it first worked out, however the questions changed since)."""
        height = self.sizeHint().height()
        if self.rubric_box.isVisibleTo(self):
            height += self.rubric_box.maximumHeight() - self.rubric_box.sizeHint().height()
        return height

    def set_verdict(self, verdict: Verdict) -> None:
        if self.layout_ is not Layout.SINGLE:
            return
        (self.verdict_flawed if verdict is Verdict.FLAWED else self.verdict_acceptable).setChecked(
            True
        )

    def set_quality(self, value: int) -> None:
        if self.stage is Stage.FINAL and self.layout_ is Layout.SINGLE:
            _set_exclusive_checked(self.quality, value)

    def set_confidence(self, value: int) -> None:
        _set_exclusive_checked(self.confidence, value)

    def add_flaw(self, flaw: ReportedFlaw) -> None:
        """Append a flaw and put the cursor in its description."""
        self._flaws.append(flaw)
        self._fill_flaws()
        row = len(self._flaws) - 1
        self.flaw_table.setCurrentCell(row, 2)
        cell = self.flaw_table.item(row, 2)
        if not flaw.description and cell is not None:
            self.flaw_table.editItem(cell)
        if flaw.description == "" or flaw.source is FlawSource.ASSISTANT:
            self.set_verdict(Verdict.FLAWED)
        self._edited()

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)

    # -- inside -------------------------------------------------------------------------------

    def _show_rows(self) -> None:
        """The rows the open item is judged with: a single answer's verdict, quality (final
        stage) and flaws (final stage), or a compare or rank item's order."""
        single, final = self.layout_ is Layout.SINGLE, self.stage is Stage.FINAL
        # A compare or rank item's rows have their names above them: its column is narrow, so
        # its answers have the width (ui/review/review_view.py). Not only the rows too long
        # (WrapLongRows): a form that wraps by width gave the rubric none of its extra height.
        self.fields.setRowWrapPolicy(
            QFormLayout.RowWrapPolicy.DontWrapRows
            if single
            else QFormLayout.RowWrapPolicy.WrapAllRows
        )
        self.fields.setRowVisible(self.compare, self.layout_ is Layout.COMPARE)
        self.fields.setRowVisible(self.rank, self.layout_ is Layout.RANK)
        self.fields.setRowVisible(self._verdict_row, single)
        self.fields.setRowVisible(self._quality_row, single and final)
        self.fields.setRowVisible(self._flaw_rows, single and final)

    def _edited(self) -> None:
        if not self._loading:
            self.problem.clear()
            self.changed.emit()

    def _fill_flaws(self) -> None:
        table = self.flaw_table
        table.blockSignals(True)
        table.setRowCount(len(self._flaws))
        for row, flaw in enumerate(self._flaws):
            where = QTableWidgetItem(_where(flaw, self.source_text))
            where.setFlags(where.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, 0, where)
            severity = QComboBox()
            severity.addItems([s.value for s in Severity])
            severity.setCurrentText(flaw.severity.value)
            severity.currentTextChanged.connect(
                lambda text, r=row: self._replace(r, severity=Severity(text))
            )
            table.setCellWidget(row, 1, severity)
            table.setItem(row, 2, QTableWidgetItem(flaw.description))
            source = QTableWidgetItem("assistant" if flaw.source is FlawSource.ASSISTANT else "me")
            source.setFlags(source.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, 3, source)
        table.blockSignals(False)

    def _replace(self, row: int, **fields: object) -> None:
        if 0 <= row < len(self._flaws):
            self._flaws[row] = replace(self._flaws[row], **fields)  # type: ignore[arg-type]
            self._edited()

    def _description_edited(self, item: QTableWidgetItem) -> None:
        if item.column() == 2:
            self._replace(item.row(), description=item.text())

    def _remove_flaw(self) -> None:
        row = self.flaw_table.currentRow()
        if 0 <= row < len(self._flaws):
            del self._flaws[row]
            self._fill_flaws()
            self._edited()

    def _flaw_chosen(self, row: int, *_: int) -> None:
        if 0 <= row < len(self._flaws):
            self.flaw_selected.emit(self._flaws[row].lines)


def _scale(parent: QWidget, values: range, meaning: str) -> tuple[QButtonGroup, QHBoxLayout]:
    group = QButtonGroup(parent)
    row = QHBoxLayout()
    for value in values:
        button = QPushButton(str(value))
        button.setCheckable(True)
        set_style(button, checked_style)
        button.setAccessibleName(str(value))
        button.setMinimumWidth(button.fontMetrics().horizontalAdvance("00") + 16)
        button.setMaximumWidth(button.fontMetrics().horizontalAdvance("00") * 3)
        group.addButton(button, value)
        row.addWidget(button)
    label = hint(meaning)  # muted, but readable: a disabled label's grey is not
    label.setObjectName("scale_meaning")
    row.addWidget(label)
    row.addStretch()
    return group, row


def _checked(group: QButtonGroup) -> int | None:
    value = group.checkedId()
    return value if value != -1 else None


def _set_exclusive_checked(group: QButtonGroup, value: int | None) -> None:
    """Check one button, or none (an exclusive group refuses to uncheck its last button)."""
    group.setExclusive(False)
    for button in group.buttons():
        button.setChecked(group.id(button) == value)
    group.setExclusive(True)


def _where(flaw: ReportedFlaw, source: str) -> str:
    if flaw.lines is not None:
        return lines_text(flaw.lines)
    if flaw.span is not None:
        quote = " ".join(source[flaw.span.start : flaw.span.end].split())
        return f"“{quote[:40]}…”" if len(quote) > 40 else f"“{quote}”"
    return "general"


def _heading(layout: Layout, stage: Stage) -> str:
    if stage is Stage.FIRST:
        return f"<b>Your {FIRST_NAME[layout]}</b> — commit it before the assistant opens"
    return _ORDER_TEXT.get(layout, _FINAL_TEXT)
