"""Assistance on compare items: a Comparison of both answers (as the evaluator sees them,
held to its schema), a critique of one side, the misleading assistant arguing for the flawed
twin, the expert's comparison, and what is refused. The model's replies are recorded ones
(tests/support/replay_backend.py): the subject here is what is asked and logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.comparison_study import comparison_study, session_of

from evalstudio.assist.backend import AssistError, Backend
from evalstudio.assist.comparison import parse_advice
from evalstudio.assist.prompts import numbered
from evalstudio.core.assistance import AssistKind, Manipulation
from evalstudio.core.comparison import MUCH_BETTER, Layout
from evalstudio.core.expert import AssistantSource
from evalstudio.core.misleading import Misleading
from evalstudio.core.model import ItemView, Truth
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log, content


@pytest.fixture
def compared(workspace: Workspace, tmp_path: Path) -> tuple[ItemView, dict[str, Truth | None]]:
    """Ada's first compare item (a perturbation pair) as she sees it, and the twins' truths."""
    study = comparison_study(workspace, tmp_path)
    queue = session_of(workspace, study, "Ada").queue
    item = next(e.item for e in queue if e.item.layout is Layout.COMPARE)
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    return item, truths


def _shown(item: ItemView) -> tuple[str, ...]:
    return tuple(s.candidate_id for s in item.sides)


def test_a_comparison_shows_both_answers_as_the_evaluator_sees_them(
    assistant: Assistant, compared: tuple[ItemView, dict[str, Truth | None]]
) -> None:
    item, _ = compared
    event = assistant.request_on_answers(
        item.item_id, AssistKind.COMPARE, _shown(item), evaluator_id=None, seed=5
    ).wait()
    row = assist_log.event_row(assistant.workspace.db, event.id)
    assert row is not None
    system = row["messages"][0]["content"]
    for label, side in zip("AB", item.sides, strict=True):
        block = system.split(f"ANSWER-{label}-START\n")[1].split(f"\nANSWER-{label}-END")[0]
        assert block == numbered(side.text)  # each answer under the letter Ada sees it by
    assert row["params"]["shown"] == list(_shown(item))
    assert row["params"]["json_schema"]["properties"]["better"] == {"enum": ["A", "B", "same"]}
    assert not event.manipulated


def test_a_misleading_comparison_argues_for_the_flawed_twin(
    assistant: Assistant, compared: tuple[ItemView, dict[str, Truth | None]]
) -> None:
    item, truths = compared
    flawed = "AB"[[truths[c] for c in _shown(item)].index(Truth.FLAWED)]
    event = assistant.request_on_answers(
        item.item_id,
        AssistKind.COMPARE,
        _shown(item),
        misleading=Misleading(p=1.0, seed="s"),
        seed=5,
    ).wait()
    row = assist_log.event_row(assistant.workspace.db, event.id)
    assert row is not None
    assert event.manipulated and row["manipulation"] == Manipulation.PASS.value
    assert row["params"]["json_schema"]["properties"]["better"] == {"const": flawed}
    assert f"present answer {flawed} as the better one" in row["messages"][-1]["content"]
    # At p = 0 the same request is honest: nothing fixed, nothing steered.
    honest = assistant.request_on_answers(
        item.item_id,
        AssistKind.COMPARE,
        _shown(item),
        misleading=Misleading(p=0.0, seed="s"),
        seed=5,
    ).wait()
    assert not honest.manipulated


def test_the_experts_comparison_is_the_answer_keys_and_asks_no_model(
    assistant: Assistant, compared: tuple[ItemView, dict[str, Truth | None]]
) -> None:
    item, truths = compared
    labels = {c: "AB"[n] for n, c in enumerate(_shown(item))}
    correct = next(c for c in _shown(item) if truths[c] is Truth.CORRECT)
    flawed = next(c for c in _shown(item) if truths[c] is Truth.FLAWED)
    event = assistant.request_on_answers(
        item.item_id,
        AssistKind.COMPARE,
        _shown(item),
        misleading=Misleading(p=0.0, seed="s", source=AssistantSource.EXPERT_TEMPLATE),
    ).wait()
    advice = parse_advice(event.response, ("A", "B"))
    assert (advice.better, advice.strength) == (labels[correct], MUCH_BETTER)
    assert advice.reasons == (f"Answer {labels[flawed]} has a flaw: subtracts",)
    row = assist_log.event_row(assistant.workspace.db, event.id)
    assert row is not None and row["messages"] == [] and event.completion_tokens is None


def test_a_critique_of_one_side_is_about_that_answer_and_names_it(
    assistant: Assistant, compared: tuple[ItemView, dict[str, Truth | None]]
) -> None:
    item, truths = compared
    for side in item.sides:
        plan = Misleading(p=1.0, seed="s")
        event = assistant.request(
            item.item_id, AssistKind.CRITIQUE, side=side.candidate_id, misleading=plan, seed=3
        ).wait()
        row = assist_log.event_row(assistant.workspace.db, event.id)
        assert row is not None and row["params"]["side"] == side.candidate_id
        assert side.text.splitlines()[0] in row["messages"][0]["content"]
        # Manipulated, it argues for the flawed twin: vouches for it, flags the correct one.
        expected = (
            Manipulation.PASS if truths[side.candidate_id] is Truth.FLAWED else Manipulation.FLAG
        )
        assert row["manipulation"] == expected.value
        again = assistant.regenerate(event.id, misleading=plan).wait()
        rerow = assist_log.event_row(assistant.workspace.db, again.id)
        assert rerow is not None and rerow["params"]["side"] == side.candidate_id


def test_what_is_not_one_answer_of_the_item_is_refused_and_not_logged(
    assistant: Assistant, compared: tuple[ItemView, dict[str, Truth | None]]
) -> None:
    item, _ = compared
    db = assistant.workspace.db
    before = db.execute("SELECT count(*) FROM assist_events").fetchone()
    with pytest.raises(AssistError, match="names it"):
        assistant.request(item.item_id, AssistKind.CRITIQUE)  # slot 0 is no default
    with pytest.raises(AssistError, match="not an answer of this item"):
        assistant.request(item.item_id, AssistKind.CRITIQUE, side="x'); DROP TABLE tasks;--")
    with pytest.raises(AssistError, match="not this item's"):
        assistant.request_on_answers(item.item_id, AssistKind.COMPARE, _shown(item)[:1])
    with pytest.raises(AssistError, match="Critique is not asked"):
        assistant.request_on_answers(item.item_id, AssistKind.CRITIQUE, _shown(item))
    assert db.execute("SELECT count(*) FROM assist_events").fetchone() == before


@pytest.mark.model  # real inference: whether the bundled model's comparison is well-formed
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_the_bundled_models_comparison_is_well_formed(
    workspace: Workspace,
    local_backend: Backend,
    compared: tuple[ItemView, dict[str, Truth | None]],
    p: float,
) -> None:
    item, truths = compared
    helper = Assistant(workspace, local_backend, ModelSettings(max_tokens=400, temperature=0.0))
    event = helper.request_on_answers(
        item.item_id, AssistKind.COMPARE, _shown(item), misleading=Misleading(p=p, seed="s")
    ).wait()
    advice = parse_advice(event.response, ("A", "B"))
    assert advice.structured, event.response
    assert 1 <= len(advice.reasons) <= 3 and all(len(r) <= 300 for r in advice.reasons)
    if p == 1.0:
        assert advice.better == "AB"[[truths[c] for c in _shown(item)].index(Truth.FLAWED)]
