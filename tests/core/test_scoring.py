"""Scoring against ground truth, on hand-made cases (docs/scoring.md)."""

from __future__ import annotations

from evalstudio.core.model import LineRange, PlantedFlaw, Severity, Span, Truth, Verdict
from evalstudio.core.review import ReportedFlaw
from evalstudio.core.scoring import Score, score

PLANTED_CODE = PlantedFlaw("off by one", Severity.MAJOR, LineRange(4, 5), None)
PLANTED_TEXT = PlantedFlaw("wrong year", Severity.MAJOR, None, Span(30, 34))


def _flaw(
    lines: tuple[int, int] | None = None, span: tuple[int, int] | None = None
) -> ReportedFlaw:
    return ReportedFlaw(
        Severity.MINOR,
        "x",
        lines=LineRange(*lines) if lines else None,
        span=Span(*span) if span else None,
    )


def test_a_flawed_verdict_with_a_flaw_overlapping_the_planted_lines_is_a_catch() -> None:
    scored = score(Verdict.FLAWED, (_flaw((5, 7)),), Truth.FLAWED, PLANTED_CODE)
    assert scored.score is Score.CATCH and scored.unplanted == ()


def test_touching_the_planted_range_at_one_end_counts_and_next_to_it_does_not() -> None:
    assert score(Verdict.FLAWED, (_flaw((1, 4)),), Truth.FLAWED, PLANTED_CODE).score is Score.CATCH
    near = score(Verdict.FLAWED, (_flaw((6, 9)),), Truth.FLAWED, PLANTED_CODE)
    assert near.score is Score.VERDICT_ONLY and len(near.unplanted) == 1


def test_a_flawed_verdict_without_a_located_flaw_is_a_verdict_only_hit() -> None:
    general = ReportedFlaw(Severity.MAJOR, "something is off")
    scored = score(Verdict.FLAWED, (general,), Truth.FLAWED, PLANTED_CODE)
    assert scored.score is Score.VERDICT_ONLY and scored.unplanted == (0,)
    assert score(Verdict.FLAWED, (), Truth.FLAWED, PLANTED_CODE).score is Score.VERDICT_ONLY


def test_an_acceptable_verdict_on_a_flawed_twin_is_a_miss_even_with_the_right_flaw() -> None:
    scored = score(Verdict.ACCEPTABLE, (_flaw((4, 4)),), Truth.FLAWED, PLANTED_CODE)
    assert scored.score is Score.MISS


def test_unplanted_names_the_positions_of_the_flaws_away_from_the_plant() -> None:
    flaws = (_flaw((9, 9)), _flaw((5, 5)), _flaw((1, 2)))
    scored = score(Verdict.FLAWED, flaws, Truth.FLAWED, PLANTED_CODE)
    assert scored.score is Score.CATCH and scored.unplanted == (0, 2)


def test_text_flaws_match_by_overlapping_characters() -> None:
    assert score(Verdict.FLAWED, (_flaw(span=(33, 40)),), Truth.FLAWED, PLANTED_TEXT).score is (
        Score.CATCH
    )
    apart = score(Verdict.FLAWED, (_flaw(span=(34, 40)),), Truth.FLAWED, PLANTED_TEXT)
    assert apart.score is Score.VERDICT_ONLY  # spans are [start, end): 34 is past the plant


def test_on_a_correct_twin_a_flawed_verdict_is_a_false_alarm_and_every_flaw_unplanted() -> None:
    flaws = (_flaw((4, 5)),)
    alarm = score(Verdict.FLAWED, flaws, Truth.CORRECT, None)
    assert alarm.score is Score.FALSE_ALARM and alarm.unplanted == (0,)
    assert score(Verdict.ACCEPTABLE, (), Truth.CORRECT, None).score is Score.CORRECT_PASS


def test_no_truth_or_no_verdict_is_not_scored() -> None:
    assert score(Verdict.FLAWED, (), None, None).score is Score.UNSCORED
    assert score(None, (), Truth.FLAWED, PLANTED_CODE).score is Score.UNSCORED
