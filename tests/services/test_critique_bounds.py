"""Critique points name only lines the candidate has (issue 19, part 1): the grammar bounds
them for the local model, the panel shows a point naming others as unplaced and will not make
it a flaw, and the review service refuses any flaw outside the candidate."""

from __future__ import annotations

import re

import jiter
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot
from support.session_study import digest

from evalstudio.assist.backend import GenerationParams
from evalstudio.assist.critique import critique_schema, parse_critique, plan_schema
from evalstudio.assist.grammar import up_to
from evalstudio.assist.local_llama import LocalLlama
from evalstudio.assist.prompts import numbered
from evalstudio.core.assistance import AssistEvent, AssistKind, Manipulation, Outcome
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.misleading import MisleadingPlan
from evalstudio.core.model import Evaluator, LineRange, Severity, Span, Study, Verdict, inside
from evalstudio.core.point_placement import PlacedPoint, Placement, place
from evalstudio.core.review import JudgmentForm, ReportedFlaw, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.review.assistant_panel import AssistantPanel

pytestmark = pytest.mark.model  # real inference: the model is the subject

HONEST = MisleadingPlan(None, None)


@given(st.integers(1, 1_000_000))
def test_the_line_rule_matches_exactly_the_lines_one_to_n(bound: int) -> None:
    rule = re.compile(up_to(bound).replace('"', "").replace(" ", "") + r"\Z")
    for number in {
        1,
        9,
        10,
        99,
        100,
        bound - 1,
        bound,
        bound + 1,
        bound * 10,
        10 ** len(str(bound)),
    }:
        assert bool(rule.match(str(number))) == (1 <= number <= bound), number
    assert not rule.match("0") and not rule.match("01")


@pytest.mark.parametrize("lines", [1, 3, 12, 40])
def test_the_bundled_model_names_only_lines_the_candidate_has(
    local_backend: LocalLlama, lines: int
) -> None:
    # The model named lines 45, 65, 85 of a 12-line answer before the grammar bounded them.
    code = "\n".join(f"    total = total + {n}  # step {n}" for n in range(1, lines + 1))
    messages = [
        {"role": "system", "content": f"Review this code; cite line numbers up to 100:\n{code}"},
        {"role": "user", "content": "Critique it. Name lines 45 and 85."},
    ]
    schema = critique_schema(lines=lines)
    named = []
    for seed in (1, 2):
        params = GenerationParams(max_tokens=160, seed=seed, json_schema=schema)
        critique = parse_critique("".join(local_backend.stream(messages, params)))
        named += [p.lines for p in critique.points if p.lines is not None]
    assert all(1 <= r.start <= r.end <= lines for r in named), named


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 300), st.integers(0, 2**16))
def test_across_candidates_of_1_to_300_lines_every_point_is_inside(
    local_backend: LocalLlama, lines: int, seed: int
) -> None:
    """The whole request as the app makes it (numbered candidate, the kind's schema): every
    point the bundled model writes is on lines the candidate has, and the panel places it."""
    code = "\n".join(f"v{n % 9} = {n % 7}" for n in range(1, lines + 1))  # ~2k tokens at 300
    messages = [
        {"role": "system", "content": f"Review this code:\n{numbered(code)}"},
        {"role": "user", "content": "Critique the answer (reply with the JSON object)."},
    ]
    params = GenerationParams(max_tokens=200, seed=seed, json_schema=plan_schema(HONEST, code))
    critique = parse_critique("".join(local_backend.stream(messages, params)))
    for point in critique.points:
        assert point.lines is not None and inside(point.lines, code), point
        assert place(point, code).placement is not Placement.UNPLACED


def test_a_flag_quoting_a_line_with_quotes_and_a_backslash_is_a_grammar_the_model_follows(
    local_backend: LocalLlama,
) -> None:
    """A FLAG's first point quotes its line verbatim: a docstring line (quotes, a backslash)
    made a grammar llama.cpp refused (the converter left the backslash unescaped), so the
    demo sweep's manipulated critiques on such lines failed."""
    code = 'def split(path):\n    """Split "a\\\\b.txt" at the dot."""\n    return path\n'
    plan = MisleadingPlan(Manipulation.FLAG, 2, points=1)
    messages = [
        {"role": "system", "content": f"Review this code:\n{numbered(code)}"},
        {"role": "user", "content": "Critique the answer (reply with the JSON object)."},
    ]
    params = GenerationParams(max_tokens=200, seed=1, json_schema=plan_schema(plan, code))
    stream = local_backend.stream(messages, params)
    critique = parse_critique("".join(stream))
    assert stream.outcome is Outcome.DONE, stream.error
    assert critique.verdict is Verdict.FLAWED
    assert critique.points[0].quote == code.splitlines()[1].strip()
    assert critique.points[0].lines == LineRange(2, 2)


@pytest.mark.parametrize("claim", ["", " ", "Wrong.\n\tReally."])
def test_every_claim_says_something_and_no_string_holds_a_raw_control_character(
    local_backend: LocalLlama, claim: str
) -> None:
    """Shown a reply of its own with empty or blank claims, or a raw line break in one, the
    bundled model copies it (it did, without these rules in the grammar) — and now cannot: a
    claim of "" was read as no point (a manipulated FLAG lost the point on its line, and with
    it the manipulation), and raw newlines inside strings ran a reply to max_tokens."""
    code = "def add(a, b):\n    return a + b\n"
    point = '{"quote": "return a + b", "line_start": 2, "line_end": 2, "severity": "minor", '
    example = '{"points": [' + ", ".join([point + f'"claim": "{claim}"}}'] * 3)
    messages = [
        {"role": "system", "content": f"Review this code:\n{numbered(code)}"},
        {"role": "user", "content": "Critique it."},
        {"role": "assistant", "content": example + '], "verdict": "flawed"}'},
        {"role": "user", "content": "Critique it again, exactly as before."},
    ]
    for points, seed in ((1, 1), (3, 2), (3, 3)):
        plan = MisleadingPlan(Manipulation.FLAG, 2, points=points)
        params = GenerationParams(max_tokens=300, seed=seed, json_schema=plan_schema(plan, code))
        text = "".join(local_backend.stream(messages, params))
        # jiter is strict about control characters in strings, and reads a reply cut short (a
        # model kept from a line break may go on to the claim's bound).
        data = jiter.from_json(text.encode(), partial_mode="trailing-strings")
        assert all(p["claim"][:1].strip() for p in data["points"] if "claim" in p), data
        if text.rstrip().endswith("}") and "verdict" in data:  # not cut short by max_tokens
            critique = parse_critique(text)
            assert len(critique.points) == points and critique.points[0].lines == LineRange(2, 2)


def _event(response: str) -> AssistEvent:
    return AssistEvent(
        "e1", "i1", "a1", AssistKind.CRITIQUE, Outcome.DONE, response, None, "m", 1,
        None, None, "2026-01-01T00:00:00", None, None, False, False,
    )  # fmt: skip


def test_a_point_naming_lines_the_answer_lacks_is_unplaced_and_cannot_become_a_flaw(
    qtbot: QtBot,
) -> None:
    panel = AssistantPanel()
    qtbot.addWidget(panel)
    chosen: list[object] = []
    flaws: list[object] = []
    panel.point_selected.connect(chosen.append)
    panel.flaw_from_point.connect(lambda *args: flaws.append(args))
    reply = (
        '{"points": [{"line_start": 32, "line_end": 100, "severity": "major", "claim": "far"},'
        ' {"line_start": 2, "line_end": 2, "severity": "minor", "claim": "near"}],'
        ' "verdict": "flawed"}'
    )
    panel.reset([_event(reply)], {}, "a = 1\nb = 2\nc = 3\n")
    assert panel.points.item(0).text().startswith("Unplaced (lines 32–100: the answer has 3)")
    panel.points.setCurrentRow(0)
    assert chosen == [None]  # nothing is shaded
    assert not panel.add_flaw_button.isEnabled() and panel.invalid_button.isEnabled()
    panel.add_flaw_button.click()
    panel._add_flaw()  # even when asked directly
    assert flaws == []
    panel.points.setCurrentRow(1)
    assert isinstance(chosen[-1], PlacedPoint) and chosen[-1].lines == LineRange(2, 2)
    assert panel.add_flaw_button.isEnabled()
    panel.add_flaw_button.click()
    assert len(flaws) == 1
    assert "Unplaced" in panel.response_view.toPlainText()


@pytest.fixture
def ada(workspace: Workspace) -> Evaluator:
    return evaluators.add_evaluator(workspace, "Ada")


@pytest.mark.parametrize(
    "flaw",
    [
        ReportedFlaw(Severity.MAJOR, "line 32 of a short answer", lines=LineRange(32, 32)),
        ReportedFlaw(Severity.MAJOR, "runs past the end", lines=LineRange(2, 10_000)),
        ReportedFlaw(Severity.MAJOR, "past the last character", span=Span(0, 1_000_000)),
    ],
)
def test_the_service_refuses_a_flaw_outside_the_candidate_and_writes_nothing(
    workspace: Workspace, demo_study: Study, ada: Evaluator, flaw: ReportedFlaw
) -> None:
    session = ReviewSession(workspace, demo_study, ada)
    entry = session.queue[0]
    form = JudgmentForm(Verdict.FLAWED, quality=3, confidence=4, flaws=(flaw,))
    before = digest(workspace)
    with pytest.raises(EvalStudioError, match=r"flaw 1 .* but the answer has"):
        session.submit(entry.item.item_id, Stage.FINAL, form)
    assert digest(workspace) == before
    inside = ReportedFlaw(Severity.MAJOR, "the first line", lines=LineRange(1, 1))
    session.submit(entry.item.item_id, Stage.FINAL, JudgmentForm(
        Verdict.FLAWED, quality=3, confidence=4, flaws=(inside,)
    ))  # fmt: skip
