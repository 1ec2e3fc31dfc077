"""The compare and rank forms on their own: what keys, clicks and drags make of the order, and
what a drafted order shows."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from evalstudio.core.comparison import MUCH_BETTER, CompareScale, Layout, Ordering, Side
from evalstudio.core.review import JudgmentForm, Stage, form_problems
from evalstudio.ui.cheat_sheet import cheat_sheet_html
from evalstudio.ui.review.judgment_form import JudgmentFormView
from evalstudio.ui.shortcuts import conflicts

SIDES = tuple(Side(f"c{n}", f"answer {n}\nmore") for n in range(4))
PAIR = SIDES[:2]


def _form(qtbot: QtBot, layout: Layout, sides: tuple[Side, ...]) -> JudgmentFormView:
    form = JudgmentFormView()
    qtbot.addWidget(form)
    form.set_layout(layout, sides, CompareScale())
    form.set_form(None, Stage.FINAL, revision=False)
    form.show()
    return form


def test_a_compare_item_shows_the_scale_not_the_verdict_quality_or_flaws(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.COMPARE, PAIR)
    assert form.compare.isVisible() and not form.rank.isVisible()
    for hidden in (form.verdict_flawed, form.quality.button(3), form.flaw_table):
        assert not hidden.isVisible()
    labels = [b.accessibleName() for b in form.compare.group.buttons()]
    assert labels == [
        "1: A much better",
        "2: A better",
        "3: About the same",
        "4: B better",
        "5: B much better",
    ]


def test_a_digit_chooses_the_scale_point_and_the_form_is_its_ordering(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.COMPARE, PAIR)
    form.digit(5)
    form.set_confidence(4)
    judged = form.form(1200)
    assert judged.ordering == Ordering((("c1",), ("c0",)), MUCH_BETTER)
    assert (judged.verdict, judged.quality, judged.flaws) == (None, None, ())
    assert judged.confidence == 4 and judged.active_ms == 1200
    assert not form_problems(judged, Stage.FINAL, layout=Layout.COMPARE, candidate_ids=("c0", "c1"))
    form.digit(3)
    assert form.form().ordering == Ordering((("c0", "c1"),))


def test_a_drafted_comparison_is_shown_again(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.COMPARE, PAIR)
    draft = JudgmentForm(confidence=2, ordering=Ordering((("c0",), ("c1",)), 1))
    form.set_form(draft, Stage.FINAL, revision=False)
    assert form.compare.group.checkedId() == 2  # A better
    assert form.form() == draft


def test_the_same_comparison_with_the_sides_swapped_is_the_other_point(qtbot: QtBot) -> None:
    """What is stored is the order of candidates, not where they stood: for an evaluator who
    sees c1 on the left, "c0 better" is B better."""
    form = _form(qtbot, Layout.COMPARE, (PAIR[1], PAIR[0]))
    form.set_form(
        JudgmentForm(ordering=Ordering((("c0",), ("c1",)), 1)), Stage.FINAL, revision=False
    )
    assert form.compare.group.checkedId() == 4


def test_picks_build_the_ranking_and_backspace_takes_the_last_back(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.RANK, SIDES)
    assert form.rank.isVisible() and not form.compare.isVisible()
    assert not form.verdict_flawed.isVisible()
    form.digit(3)  # C
    form.digit(3)  # C again: already ranked, nothing changes
    form.rank.list.setFocus()
    qtbot.keyClick(form.rank.list, Qt.Key.Key_A)
    qtbot.keyClick(form.rank.list, Qt.Key.Key_D)
    assert form.rank.order == [2, 0, 3]
    qtbot.keyClick(form.rank.list, Qt.Key.Key_Backspace)
    assert form.rank.order == [2, 0]
    qtbot.keyClick(form.rank.list, Qt.Key.Key_E)  # no answer E: nothing
    form.rank.buttons[3].click()
    form.rank.buttons[1].click()
    assert not any(b.isVisible() for b in form.rank.buttons)
    assert form.form().ordering == Ordering((("c2",), ("c0",), ("c3",), ("c1",)))
    assert [form.rank.list.item(r).text()[:12] for r in range(4)] == [
        "1.  Answer C",
        "2.  Answer A",
        "3.  Answer D",
        "4.  Answer B",
    ]


def test_alt_arrows_move_the_chosen_entry(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.RANK, SIDES)
    for n in (1, 2, 3, 4):
        form.digit(n)
    form.rank.list.setFocus()
    form.rank.list.setCurrentRow(3)
    qtbot.keyClick(form.rank.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(form.rank.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert form.rank.order == [0, 3, 1, 2]
    assert form.rank.list.currentRow() == 1
    qtbot.keyClick(form.rank.list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert form.rank.order == [0, 1, 3, 2]


def test_a_drag_within_the_list_reorders_the_ranking(qtbot: QtBot) -> None:
    """A drop moves the row in the list's model (InternalMove): the same call, offscreen."""
    form = _form(qtbot, Layout.RANK, SIDES)
    for n in (1, 2, 3, 4):
        form.digit(n)
    changes: list[None] = []
    form.changed.connect(lambda: changes.append(None))
    model = form.rank.list.model()
    assert model.moveRow(QModelIndex(), 3, QModelIndex(), 0)  # D dragged to the top
    assert form.rank.order == [3, 0, 1, 2]
    assert form.form().ordering == Ordering((("c3",), ("c0",), ("c1",), ("c2",)))
    assert form.rank.list.item(0).text().startswith("1.  Answer D")
    assert form.rank.list.item(3).text().startswith("4.  Answer C")
    assert changes


def test_a_partial_ranking_is_kept_by_the_draft_and_refused_by_the_submit(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.RANK, SIDES)
    form.set_form(
        JudgmentForm(confidence=3, ordering=Ordering((("c1",), ("c3",)))),
        Stage.FINAL,
        revision=False,
    )
    assert form.rank.order == [1, 3]
    assert [b.isVisible() for b in form.rank.buttons[:4]] == [True, False, True, False]
    problems = form_problems(
        form.form(),
        Stage.FINAL,
        layout=Layout.RANK,
        candidate_ids=tuple(s.candidate_id for s in SIDES),
    )
    assert problems
    form.digit(1)
    form.digit(3)
    assert not form_problems(
        form.form(),
        Stage.FINAL,
        layout=Layout.RANK,
        candidate_ids=tuple(s.candidate_id for s in SIDES),
    )


def test_back_to_a_single_item_the_verdict_returns_and_digits_rate_quality(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.RANK, SIDES)
    form.set_layout(Layout.SINGLE, (), CompareScale())
    form.set_form(None, Stage.FINAL, revision=False)
    assert form.verdict_flawed.isVisible() and form.flaw_table.isVisible()
    assert not form.rank.isVisible()
    form.digit(6)
    form.digit(8)  # a ranking's key: nothing on a single answer
    assert form.form().quality == 6 and form.form().ordering is None


def test_the_cheat_sheet_lists_the_compare_and_rank_keys() -> None:
    sheet = cheat_sheet_html({})
    assert "<b>M</b></td><td>Ask which answer is better" in sheet  # Compare's key
    assert "Compare and rank" in sheet
    for words in (
        "Take the last ranked answer back",
        "Move the chosen ranked answer up",
        "Next answer (rank: show it; compare: be on it)",
        "Rank answer I next",
        "compare: point 5; rank: answer E next",
        "A compare item shows answers A (left) and B (right)",
    ):
        assert words in sheet, words
    assert not conflicts({})  # the new keys clash with none of the others


def test_a_study_scale_without_strength_or_ties_has_two_points(qtbot: QtBot) -> None:
    form = _form(qtbot, Layout.COMPARE, PAIR)
    form.set_layout(Layout.COMPARE, PAIR, CompareScale(strength=False, ties=False))
    form.set_form(None, Stage.FINAL, revision=False)
    qtbot.waitUntil(lambda: form.compare.row.count() == 2)  # the five buttons before are gone
    labels = [b.accessibleName() for b in form.compare.group.buttons()]
    assert labels == ["1: A better", "2: B better"]
    form.digit(3)  # no third point: nothing
    assert form.form().ordering is None
    form.digit(2)
    assert form.form().ordering == Ordering((("c1",), ("c0",)))
