"""Suspicion in the review window (issue 19 §3), driven like an evaluator drives it (offscreen,
the real bundled model, real SQLite): D scores a short code item, the gutter shows a score per
line, the row is logged, a reopened item shows it again without scoring again; Esc and moving
on stop it; unassisted items and studies that leave it out offer none; the misleading
condition's manipulation is what is shown, and recorded. And the pure parts the window relies
on: a logged response read back, a sentence placed on the rendered page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.builders import pair, record, write_jsonl
from support.windows import open_main_window, start_review

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistEvent, AssistKind, Manipulation, Outcome
from evalstudio.core.misleading import plan_manipulation
from evalstudio.core.model import Evaluator, LineRange, Study, Truth
from evalstudio.core.review import Condition
from evalstudio.core.study_definition import parse_definition
from evalstudio.core.suspicion import Scored, code_units, from_json, text_units, to_json
from evalstudio.core.text_spans import rendered_offsets
from evalstudio.render.theme import DARK
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assignments, assist_log
from evalstudio.store import studies as study_rows
from evalstudio.ui.main_window import MainWindow
from evalstudio.ui.review.review_view import ReviewView

SCORED = 120_000  # ms: a two-line item, behind the item's warm-up on 2 shared cores


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama) -> Iterator[MainWindow]:
    with open_main_window(qtbot, workspace, local_backend) as win:
        qtbot.waitUntil(lambda: win.host.ready, timeout=60_000)
        yield win


@pytest.fixture
def ada(workspace: Workspace) -> Evaluator:
    return evaluators.add_evaluator(workspace, "Ada")


def _study(workspace: Workspace, tmp_path: Path) -> Study:
    """Two-line code twins (add / subtract) and a text item."""
    records = [
        *pair("p1"),
        record("t1", kind="text", language="en", prompt="When?", candidate="It is. It was."),
    ]
    return import_tasks(workspace, write_jsonl(tmp_path / "s.jsonl", records), "Small").study


def _start(qtbot: QtBot, win: MainWindow, study: Study, evaluator: Evaluator) -> ReviewView:
    return start_review(qtbot, win, study, evaluator)


def _press_d(qtbot: QtBot, review: ReviewView) -> None:
    """D where the evaluator's focus is: the candidate, not a text field."""
    review.candidate.code.setFocus()
    qtbot.keyClick(QApplication.focusWidget() or review, Qt.Key.Key_D)


def _strip_scores(review: ReviewView) -> dict[int, float]:
    return review.candidate.strips[review.candidate.code].scores


def _events(workspace: Workspace, review: ReviewView, evaluator: Evaluator) -> list[AssistEvent]:
    item = review.entry.item.item_id
    return [
        e
        for e in assist_log.events_of_item(workspace.db, item, evaluator.id)
        if e.kind is AssistKind.SUSPICION
    ]


def test_d_scores_every_line_logs_it_and_a_reopened_item_shows_it_without_scoring(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _study(workspace, tmp_path), ada)
    box = review.suspicion
    assert box.isVisible() and box.button.isEnabled() and not box.top.isVisible()
    assert "probability that the line has a bug; not a finding" in box.legend.text()
    _press_d(qtbot, review)
    assert box.running() and box.button.text() == "Stop"
    qtbot.waitUntil(lambda: box.complete, timeout=SCORED)

    # A score per (non-blank) line in the gutter, the top ones listed, the row logged.
    strip = review.candidate.strips[review.candidate.code]
    assert strip.isVisible() and sorted(_strip_scores(review)) == [1, 2]
    assert all(0.0 <= s <= 1.0 for s in _strip_scores(review).values())
    assert box.top.isVisible() and box.top.count() == 2
    assert box.top.item(0).text().startswith("Line ")
    assert "2 lines in" in box.status.text()
    (event,) = _events(workspace, review, ada)
    assert event.outcome is Outcome.DONE and not event.manipulated
    logged = json.loads(event.response)
    assert {row["line"]: row["p_yes"] for row in logged} == pytest.approx(_strip_scores(review))
    # Not in the assistant's transcript: the panel shows what the model wrote, not scores.
    assert "p_yes" not in review.panel.response_view.toPlainText()

    # Choosing a listed line shows it in the candidate, selected (L would add it as a flaw).
    top_line = max(_strip_scores(review), key=lambda line: _strip_scores(review)[line])
    box.top.setCurrentRow(0)
    assert review.candidate.selected_lines() == LineRange(top_line, top_line)
    # D again: the same scores would come back, so nothing is asked.
    _press_d(qtbot, review)
    assert not box.running() and "already scored" in box.status.text()

    # The theme changes live; the scores stay.
    review.set_theme(DARK)
    assert strip.theme is DARK and sorted(_strip_scores(review)) == [1, 2]

    # The next item starts clear; back again, the logged scores are shown, not scored anew.
    review.step(1)
    qtbot.waitUntil(lambda: review.loaded and review.index == 1)
    assert _strip_scores(review) == {} and not strip.isVisible() and not box.top.isVisible()
    review.step(-1)
    qtbot.waitUntil(lambda: review.loaded and review.index == 0)
    assert _strip_scores(review) == pytest.approx({r["line"]: r["p_yes"] for r in logged})
    assert "scored earlier" in box.status.text() and box.top.count() == 2
    qtbot.waitUntil(lambda: window.jobs.idle)
    assert len(_events(workspace, review, ada)) == 1


def test_esc_stops_it_and_a_result_for_an_item_left_is_dropped(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    review = _start(qtbot, window, _study(workspace, tmp_path), ada)
    box = review.suspicion
    _press_d(qtbot, review)
    assert box.running()
    qtbot.keyClick(QApplication.focusWidget() or review, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.running(), timeout=SCORED)
    assert "stop" in box.status.text()
    for event in _events(workspace, review, ada):  # none if stopped before it began
        assert event.outcome is Outcome.CANCELLED

    _press_d(qtbot, review)
    assert box.running()
    review.step(1)  # moving on stops it; whatever comes back is not shown on this item
    qtbot.waitUntil(lambda: review.loaded and review.index == 1)
    qtbot.waitUntil(lambda: window.jobs.idle, timeout=SCORED)
    assert not box.running() and _strip_scores(review) == {} and box.top.count() == 0


def test_an_unassisted_item_or_a_study_without_it_offers_no_suspicion(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _study(workspace, tmp_path)
    items = [v.item_id for v in studies.study_items(workspace, study.id)]
    with workspace.db.atomic():
        assignments.insert_assignments(
            workspace.db,
            study.id,
            ada.id,
            [(items[0], Condition.UNASSISTED), (items[1], Condition.ASSISTED)],
        )
    review = _start(qtbot, window, study, ada)
    assert review.entry.condition is Condition.UNASSISTED
    assert not review.suspicion.offered and not review.suspicion.isVisible()
    _press_d(qtbot, review)
    qtbot.waitUntil(lambda: window.jobs.idle)
    assert not review.suspicion.running() and _events(workspace, review, ada) == []

    review.step(1)  # assisted: offered; back on the unassisted item: gone again
    qtbot.waitUntil(lambda: review.loaded and review.index == 1)
    assert review.suspicion.isVisible()
    review.step(-1)
    qtbot.waitUntil(lambda: review.loaded and review.index == 0)
    assert not review.suspicion.isVisible()

    # An assisted item of a study whose assist_kinds leave Suspicion out: not offered either.
    definition = parse_definition(
        {"name": "S", "tasks": "t", "seed": "1", "evaluators": ["Ada"], "assist_kinds": ["chat"]}
    )
    assert not isinstance(definition, list)
    review.session.design = definition
    review.step(1)
    qtbot.waitUntil(lambda: review.loaded and review.index == 1)
    assert review.assistant_box.isVisible() and not review.suspicion.isVisible()
    _press_d(qtbot, review)
    assert not review.suspicion.running()


def test_under_the_misleading_condition_the_shown_scores_are_manipulated_and_recorded(
    qtbot: QtBot, window: MainWindow, workspace: Workspace, tmp_path: Path, ada: Evaluator
) -> None:
    study = _study(workspace, tmp_path)
    with workspace.db.atomic():
        study_rows.set_review_options(
            workspace.db, study.id, commit_before_reveal=False, misleading_p=1.0
        )
    correct = studies.study_items(workspace, study.id)[0]
    with workspace.db.atomic():
        assignments.insert_assignments(
            workspace.db, study.id, ada.id, [(correct.item_id, Condition.MISLEADING)]
        )
    review = _start(qtbot, window, study, ada)
    misleading = review.session.misleading(review.entry)
    assert misleading is not None
    plan = plan_manipulation(
        p=misleading.p,
        seed=misleading.seed,
        evaluator_id=misleading.key or ada.id,
        item_id=correct.item_id,
        kind=AssistKind.SUSPICION,
        truth=Truth.CORRECT,
        candidate=correct.candidate,
        misalignment=misleading.misalignment,
    )
    assert plan.manipulation is Manipulation.FLAG and plan.flag_line is not None
    _press_d(qtbot, review)
    qtbot.waitUntil(lambda: review.suspicion.complete, timeout=SCORED)
    (event,) = _events(workspace, review, ada)
    assert event.manipulated
    row = workspace.db["assist_events"].get(event.id)
    assert row["manipulation"] == "flag"
    # The flagged line is the one shown most suspicious, in the gutter and first in the list.
    shown = _strip_scores(review)
    assert max(shown, key=lambda line: shown[line]) == plan.flag_line
    assert review.suspicion.top.item(0).text().startswith(f"Line {plan.flag_line} ·")
    assert "manipulat" not in review.suspicion.status.text().lower()


def test_a_logged_response_is_read_back_leaving_out_what_does_not_fit() -> None:
    candidate = "a = 1\n\nb = 2\n"
    scored = from_json(to_json(code_units(candidate), [0.2, 0.7]), candidate)
    assert [u.line for u in scored.units] == [1, 3] and scored.scores == (0.2, 0.7)
    assert [u.text for u in scored.units] == ["a = 1", "b = 2"]
    unfit = [
        {"line": 9, "start": 0, "end": 1, "p_yes": 0.5},  # a line the candidate lacks
        {"line": 1, "start": 0, "end": 99, "p_yes": 0.5},  # past its end
        {"line": 1, "start": 0, "end": 5, "p_yes": float("nan")},
        {"line": 1, "start": 0, "end": 5, "p_yes": 1.5},
        {"line": True, "start": 0, "end": 5, "p_yes": 0.5},
        {"line": 1, "start": "0", "end": 5, "p_yes": 0.5},
        "line 1",
    ]
    assert from_json(json.dumps(unfit), candidate) == Scored((), ())
    for junk in ("", "not json", "{}", "[[1]]", "null"):
        assert from_json(junk, candidate) == Scored((), ())


def test_a_sentence_of_text_is_found_on_the_rendered_page() -> None:
    source = "The **Eiffel Tower** was finished in *1899*. It is in Paris."
    rendered = "The Eiffel Tower was finished in 1899. It is in Paris."
    starts = [u.start for u in text_units(source)]
    found = rendered_offsets(source, rendered, starts)
    assert [rendered[at : at + 6] for at in found if at is not None] == ["The Ei", "It is "]
    assert rendered_offsets(source, rendered, [source.index("**Eiffel")]) == [4]  # the word
    assert rendered_offsets("ab**", "ab", [2]) == [None]  # nothing shown after it
