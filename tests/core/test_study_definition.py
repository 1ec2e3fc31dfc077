"""The study definition: defaults, every problem named by its key, and a lossless round trip."""

from __future__ import annotations

from evalstudio.core.assist_kinds import EXECUTION_KINDS, WRITTEN_KINDS
from evalstudio.core.assistance import AssistKind
from evalstudio.core.misleading import Misalignment
from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition, parse_definition

MINIMAL = {"name": "S", "tasks": "t.jsonl", "seed": "1", "evaluators": ["Ada"]}


def test_a_minimal_definition_gets_the_documented_defaults() -> None:
    found = parse_definition(MINIMAL)
    assert isinstance(found, StudyDefinition)
    assert found.conditions == (Condition.UNASSISTED, Condition.ASSISTED)
    # The model's kinds that write text, and Suspicion (probe, which runs code, is opt-in).
    assert found.assist_kinds == (*WRITTEN_KINDS, AssistKind.SUSPICION)
    assert found.tools == EXECUTION_KINDS  # run and examples, in every condition
    assert (found.misleading_p, found.gold_rate, found.judgments_per_pair) == (0.3, 0.0, None)
    assert not found.commit_before_reveal and not found.pregenerated


def test_it_round_trips_through_its_stored_json() -> None:
    for data in (MINIMAL, {**MINIMAL, "guidelines": "g.md", "judgments_per_pair": 1}):
        found = parse_definition(data)
        assert isinstance(found, StudyDefinition)
        assert StudyDefinition.from_json(found.to_json()) == found


def test_every_problem_is_reported_at_once_with_its_key() -> None:
    problems = parse_definition(
        {"name": 3, "tasks": "", "evaluators": [], "conditions": ["x"], "misleading_p": "high"}
    )
    assert isinstance(problems, list)
    keys = {p.split(":")[0] for p in problems}
    assert {"name", "tasks", "seed", "evaluators", "conditions", "misleading_p"} <= keys


def test_the_misalignment_is_chosen_by_name_and_checked() -> None:
    assert parse_definition(MINIMAL).misalignment is Misalignment.ADVERSARIAL  # type: ignore[union-attr]
    flip = parse_definition({**MINIMAL, "misalignment": "flip"})
    assert isinstance(flip, StudyDefinition) and flip.misalignment is Misalignment.FLIP
    assert StudyDefinition.from_json(flip.to_json()) == flip
    problems = parse_definition({**MINIMAL, "misalignment": "sneaky"})
    assert problems == ["misalignment: 'sneaky' is not one of adversarial, flip, random"]
