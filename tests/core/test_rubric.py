"""Rubric questions in study.toml: each type parsed, every bad value named by question and
field, old definitions still readable, and the checks on a set of answers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from evalstudio.core.review import JudgmentForm
from evalstudio.core.rubric import (
    Question,
    QuestionType,
    RubricAnswer,
    answer_problems,
    parse_questions,
)
from evalstudio.core.study_definition import StudyDefinition, parse_definition

MINIMAL = {"name": "S", "tasks": "t.jsonl", "seed": "1", "evaluators": ["Ada"]}
QUESTIONS = [
    {"key": "helpful", "type": "likert", "prompt": "How helpful?", "scale": 5,
     "anchors": ["not at all", "very"], "required": True},
    {"key": "tone", "type": "choice", "prompt": "Tone", "options": ["formal", "casual"]},
    {"key": "problems", "type": "multi", "prompt": "Which apply?",
     "options": ["hallucinates", "ignores the instruction", "unsafe"]},
    {"key": "note", "type": "text", "prompt": "Anything else?", "max_length": 10},
]  # fmt: skip


def _questions() -> tuple[Question, ...]:
    found, problems = parse_questions(QUESTIONS)
    assert problems == []
    return found


def test_each_type_is_read_with_its_fields_and_defaults() -> None:
    helpful, tone, problems, note = _questions()
    assert helpful.type is QuestionType.LIKERT and helpful.scale == 5 and helpful.required
    assert [helpful.anchor_of(p) for p in (1, 3, 5)] == ["not at all", "", "very"]
    assert tone.options == ("formal", "casual") and not tone.required
    assert tone.layouts == ("single",)  # the default layout
    assert problems.type is QuestionType.MULTI and len(problems.options) == 3
    assert note.max_length == 10


def test_the_definition_round_trips_with_its_questions_and_old_ones_read() -> None:
    found = parse_definition({**MINIMAL, "questions": QUESTIONS})
    assert isinstance(found, StudyDefinition) and len(found.questions) == 4
    assert StudyDefinition.from_json(found.to_json()) == found
    old = StudyDefinition.from_json(MINIMAL)  # stored before questions existed
    assert old.questions == ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ({"key": "Bad Key", "type": "text", "prompt": "p"}, "questions[1] (Bad Key): key must"),
        ({"key": "q", "type": "slider", "prompt": "p"}, "questions[1] (q): type must be one of"),
        ({"key": "q", "type": "likert", "prompt": "p", "scale": 12}, "scale must be a whole"),
        ({"key": "q", "type": "likert", "prompt": "p", "scale": 5, "anchors": ["a", "b", "c"]},
         "anchors must be two labels (low, high) or one per point (5), not 3"),
        ({"key": "q", "type": "choice", "prompt": "p", "options": ["only"]},
         "options must list 2 to 10, not 1"),
        ({"key": "q", "type": "multi", "prompt": "p", "options": ["a", "a"]}, "listed twice: a"),
        ({"key": "q", "type": "multi", "prompt": "p", "options": ["a;b", "c"]}, "holds ';'"),
        ({"key": "q", "type": "text", "prompt": " "}, "questions[1] (q): prompt must be"),
        ({"key": "q", "type": "text", "prompt": "p", "max_length": 0}, "max_length must be"),
        ({"key": "q", "type": "text", "prompt": "p", "layouts": ["ranked"]},
         "layouts: 'ranked' is not a layout (known: single, compare, rank)"),
        ({"key": "q", "type": "text", "prompt": "p", "required": "yes"}, "required must be true"),
        ({"key": "q", "type": "text", "prompt": "p", "options": ["a", "b"]},
         "unknown field 'options' for a text question"),
        ("not a table", "questions[1]: must be a table"),
    ],
)  # fmt: skip
def test_every_bad_value_names_the_question_and_the_field(question: object, expected: str) -> None:
    found = parse_definition({**MINIMAL, "questions": [question]})
    assert isinstance(found, list)
    assert any(expected in problem for problem in found), found


def test_keys_are_unique_and_questions_must_be_an_array_of_tables() -> None:
    twice = [QUESTIONS[1], {**QUESTIONS[3], "key": "tone"}]
    _, problems = parse_questions(twice)
    assert problems == ["questions[2] (tone): key 'tone' is used by an earlier question"]
    assert parse_questions({"key": "x"})[1] == [
        "questions: must be an array of tables ([[questions]])"
    ]


def test_answers_are_checked_against_their_questions() -> None:
    questions = _questions()
    good = (
        RubricAnswer("helpful", 4),
        RubricAnswer("tone", "casual"),
        RubricAnswer("problems", ("unsafe",)),
        RubricAnswer("note", "short"),
    )
    assert answer_problems(questions, good) == []
    assert answer_problems(questions, ()) == ["answer “How helpful?”"]
    assert answer_problems(questions, (), enforce_required=False) == []
    bad = (
        RubricAnswer("helpful", 6),
        RubricAnswer("tone", "rude"),
        RubricAnswer("problems", ("boring",)),
        RubricAnswer("note", "far too long"),
        RubricAnswer("nope", 1),
    )
    assert answer_problems(questions, bad) == [
        "helpful: 6 is not between 1 and 5",
        "tone: 'rude' is not one of its options",
        "problems: not a list of its options",
        "note: 12 characters, more than its 10",
        "'nope' is not a question of this study",
    ]


def test_a_draft_keeps_its_answers() -> None:
    form = JudgmentForm(answers=(RubricAnswer("helpful", 2), RubricAnswer("problems", ("a",))))
    assert JudgmentForm.from_json(form.to_json()) == form
    assert JudgmentForm.from_json({}).answers == ()


def test_the_documented_example_is_a_valid_definition() -> None:
    """docs/study-format.md's [[questions]] example parses as it stands."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "study-format.md"
    section = doc.read_text(encoding="utf-8").split("## Rubric questions", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    found = parse_definition({**MINIMAL, **tomllib.loads(example)})
    assert isinstance(found, StudyDefinition), found
    assert [q.type.value for q in found.questions] == ["likert", "choice", "multi", "text"]
