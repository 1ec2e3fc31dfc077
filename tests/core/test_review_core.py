"""Pure review logic: active time, mapping a rendered selection to source offsets, the form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from evalstudio.core.active_time import IDLE_AFTER_S, ActiveClock
from evalstudio.core.model import LineRange, Severity, Span, Verdict
from evalstudio.core.review import FlawSource, JudgmentForm, ReportedFlaw
from evalstudio.core.text_spans import source_span


def test_active_time_counts_focused_time_and_pauses_a_minute_after_the_last_input() -> None:
    clock = ActiveClock(at=0.0)
    clock.input(30.0)
    assert clock.active_ms(30.0) == 30_000
    assert clock.active_ms(200.0) == (30 + IDLE_AFTER_S) * 1000  # idle from 90 s on
    assert clock.idle(200.0)
    clock.input(300.0)  # back: the clock runs again from here
    assert clock.active_ms(310.0) == (40 + IDLE_AFTER_S) * 1000


def test_active_time_stops_while_the_window_is_unfocused_and_resumes_on_return() -> None:
    clock = ActiveClock(at=0.0, already_ms=5_000)
    clock.focus(False, 10.0)
    assert clock.active_ms(50.0) == 15_000
    clock.focus(True, 50.0)
    assert clock.active_ms(55.0) == 20_000


def test_selecting_rendered_markdown_maps_to_the_source_characters() -> None:
    source = "The **Eiffel Tower** is in *Berlin*.\n\n- item one\n- item two"
    rendered = "The Eiffel Tower is in Berlin.\nitem one\nitem two"
    start = rendered.index("Berlin")
    span = source_span(source, rendered, start, start + len("Berlin"))
    assert span is not None and source[span.start : span.end] == "Berlin"
    start = rendered.index("Eiffel")
    span = source_span(source, rendered, start, rendered.index("Berlin") + len("Berlin"))
    assert span is not None and source[span.start : span.end] == "Eiffel Tower** is in *Berlin"


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1), st.data())
def test_a_selection_of_plain_text_maps_to_itself(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert source_span(text, text, start, end) == Span(start, end)


def test_an_empty_or_out_of_range_selection_maps_to_nothing() -> None:
    assert source_span("abc", "abc", 2, 2) is None
    assert source_span("abc", "abc", 0, 9) is None


def test_a_form_round_trips_through_its_json() -> None:
    flaws = (
        ReportedFlaw(Severity.MAJOR, "a", lines=LineRange(2, 3)),
        ReportedFlaw(
            Severity.MINOR,
            "b",
            span=Span(4, 9),
            source=FlawSource.ASSISTANT,
            assist_event_id="e",
            point_index=1,
        ),
    )
    form = JudgmentForm(Verdict.FLAWED, 5, 2, flaws, "because", 1234)
    assert JudgmentForm.from_json(form.to_json()) == form
