"""What each review shortcut does: action id → a call on the open review view."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from evalstudio.core.assist_kinds import ASKED_KINDS
from evalstudio.core.comparison import Layout
from evalstudio.core.model import Verdict
from evalstudio.core.review import CONFIDENCE_RANGE, QUALITY_RANGE, PointMark
from evalstudio.ui.review.review_view import ReviewView


def review_handlers(current: Callable[[], ReviewView | None]) -> dict[str, Callable[[], None]]:
    """A handler per action of ui/shortcuts.py (but the cheat sheet's); each does nothing while
    no review is open."""

    def on(call: Callable[[ReviewView], object]) -> Callable[[], None]:
        def run() -> None:
            review = current()
            if review is not None:
                call(review)

        return run

    handlers: dict[str, Callable[[], None]] = {
        "next_item": on(lambda r: r.step(1)),
        "previous_item": on(lambda r: r.step(-1)),
        "next_undone": on(lambda r: r.next_not_done()),
        "verdict_flawed": on(lambda r: r.set_verdict(Verdict.FLAWED)),
        "verdict_acceptable": on(lambda r: r.set_verdict(Verdict.ACCEPTABLE)),
        "add_flaw": on(lambda r: r.add_flaw_from_selection()),
        "focus_rationale": on(lambda r: r.form.rationale.setFocus()),
        "next_question": on(lambda r: r.form.rubric.focus_step(1)),
        "previous_question": on(lambda r: r.form.rubric.focus_step(-1)),
        "submit": on(lambda r: r.submit()),
        "skip": on(lambda r: r.skip()),
        "undo_submit": on(lambda r: r.undo_submit()),
        "focus_chat": on(_focus_chat),
        "stop": on(lambda r: r.stop()),
        "regenerate": on(lambda r: r.regenerate()),
        "suspicion": on(lambda r: r.suspect()),
        "mark_valid": on(lambda r: r.panel.mark_current(PointMark.VALID)),
        "mark_invalid": on(lambda r: r.panel.mark_current(PointMark.INVALID)),
        "focus_run": on(lambda r: r.run_box.focus_input()),
        "pick_8": on(lambda r: r.form.digit(8)),
        "pick_9": on(lambda r: r.form.digit(9)),
        "rank_take_back": on(lambda r: r.form.rank.take_back() if _ranking(r) else None),
        "rank_move_up": on(lambda r: r.form.rank.move_entry(-1) if _ranking(r) else None),
        "rank_move_down": on(lambda r: r.form.rank.move_entry(1) if _ranking(r) else None),
        "next_answer": on(lambda r: r.show_side_step(1)),
        "previous_answer": on(lambda r: r.show_side_step(-1)),
        "probe": on(lambda r: r.run_box.probe()),
    }
    for kind in ASKED_KINDS:
        handlers[kind.value] = on(partial(ReviewView.ask, kind=kind))
    for n in QUALITY_RANGE:
        handlers[f"quality_{n}"] = on(partial(_quality, value=n))
    for n in CONFIDENCE_RANGE:
        handlers[f"confidence_{n}"] = on(partial(_confidence, value=n))
    return handlers


def _quality(review: ReviewView, value: int) -> None:
    """A digit: the quality, or on a compare item the scale's point, on a rank item the
    answer to rank next (1 = A)."""
    review.form.digit(value)


def _ranking(review: ReviewView) -> bool:
    return review.form.layout_ is Layout.RANK


def _confidence(review: ReviewView, value: int) -> None:
    review.form.set_confidence(value)


def _focus_chat(review: ReviewView) -> None:
    if review.assistant_box.isVisible():
        review.panel.chat.setFocus()
