"""Rubric questions a study asks beside the built-in judgment form (study.toml `[[questions]]`),
and the answers to them: what each question type accepts, and the checks on a set of answers.

An answer's value by type: `likert` a whole number 1..scale, `choice` one of the options,
`multi` a tuple of the options chosen (in the options' order, possibly empty), `text` a string
of at most `max_length` characters. docs/study-format.md describes the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from evalstudio.core.model import has_control_character


class QuestionType(StrEnum):
    LIKERT = "likert"
    CHOICE = "choice"
    MULTI = "multi"
    TEXT = "text"


# The item layouts a question may apply to (core/comparison.py's Layout).
LAYOUTS = ("single", "compare", "rank")
LIKERT_SCALES = range(2, 12)
MAX_OPTIONS = 10  # each gets a digit key (0 for the tenth)
DEFAULT_TEXT_LENGTH = 2000
MAX_TEXT_LENGTH = 20000
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a column name in exports: q_<key>

Answer = int | str | tuple[str, ...]


@dataclass(frozen=True)
class Question:
    key: str
    type: QuestionType
    prompt: str
    required: bool = False
    layouts: tuple[str, ...] = ("single",)
    scale: int = 0  # likert: points 1..scale
    anchors: tuple[str, ...] = ()  # likert: (low, high) or one label per point
    options: tuple[str, ...] = ()  # choice, multi
    max_length: int = 0  # text

    def anchor_of(self, point: int) -> str:
        """The label of a likert point: its own, or the low/high anchor at the ends."""
        if len(self.anchors) == self.scale:
            return self.anchors[point - 1]
        if len(self.anchors) == 2 and point in (1, self.scale):
            return self.anchors[0] if point == 1 else self.anchors[1]
        return ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "type": self.type.value,
            "prompt": self.prompt,
            "required": self.required,
            "layouts": list(self.layouts),
        }
        if self.type is QuestionType.LIKERT:
            data |= {"scale": self.scale, "anchors": list(self.anchors)}
        elif self.type is QuestionType.TEXT:
            data["max_length"] = self.max_length
        else:
            data["options"] = list(self.options)
        return data


@dataclass(frozen=True)
class RubricAnswer:
    """The evaluator's answer to one question (a question left blank has none)."""

    key: str
    value: Answer

    def to_json(self) -> Any:
        return list(self.value) if isinstance(self.value, tuple) else self.value


def parse_questions(raw: Any) -> tuple[tuple[Question, ...], list[str]]:
    """The questions of a `questions` array of tables, and every problem found; each problem
    names the question by its place (1 = first) and key and the field it is about."""
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        return (), ["questions: must be an array of tables ([[questions]])"]
    questions, problems = [], []
    keys: set[str] = set()
    for number, table in enumerate(raw, start=1):
        where = f"questions[{number}]"
        if isinstance(table, dict) and isinstance(table.get("key"), str):
            where += f" ({table['key']})"
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table with key, type and prompt")
            continue
        question, found = _question(table, where)
        problems += found
        if question is not None:
            if question.key in keys:
                problems.append(f"{where}: key '{question.key}' is used by an earlier question")
            keys.add(question.key)
            questions.append(question)
    return tuple(questions), problems


_FIELDS = {
    QuestionType.LIKERT: {"scale", "anchors"},
    QuestionType.CHOICE: {"options"},
    QuestionType.MULTI: {"options"},
    QuestionType.TEXT: {"max_length"},
}
_COMMON = {"key", "type", "prompt", "required", "layouts"}


def _question(table: dict[str, Any], where: str) -> tuple[Question | None, list[str]]:
    problems: list[str] = []
    key = table.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        problems.append(
            f"{where}: key must be a lower-case identifier (a-z, 0-9, _; up to 40, "
            f"starting with a letter), not {key!r}"
        )
    try:
        kind = QuestionType(str(table.get("type")))
    except ValueError:
        allowed = ", ".join(t.value for t in QuestionType)
        problems.append(f"{where}: type must be one of {allowed}, not {table.get('type')!r}")
        return None, problems
    for name in table:
        if name not in _COMMON | _FIELDS[kind]:
            known = ", ".join(sorted(_COMMON | _FIELDS[kind]))
            problems.append(f"{where}: unknown field '{name}' for a {kind} question ({known})")
    prompt = table.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append(f"{where}: prompt must be non-empty text")
        prompt = ""
    required = table.get("required", False)
    if not isinstance(required, bool):
        problems.append(f"{where}: required must be true or false")
    layouts = table.get("layouts", ["single"])
    if not isinstance(layouts, list) or not layouts or not all(isinstance(x, str) for x in layouts):
        problems.append(f"{where}: layouts must be a non-empty list of layout names")
        layouts = ["single"]
    for layout in layouts:
        if layout not in LAYOUTS:
            problems.append(
                f"{where}: layouts: '{layout}' is not a layout (known: {', '.join(LAYOUTS)})"
            )
    question = Question(
        key=key if isinstance(key, str) else "",
        type=kind,
        prompt=prompt.strip(),
        required=required is True,
        layouts=tuple(dict.fromkeys(layouts)),
    )
    if kind is QuestionType.LIKERT:
        question, found = _likert(question, table, where)
    elif kind is QuestionType.TEXT:
        question, found = _text(question, table, where)
    else:
        question, found = _options(question, table, where)
    problems += found
    return (None if problems else question), problems


def _likert(question: Question, table: dict[str, Any], where: str) -> tuple[Question, list[str]]:
    problems = []
    scale = table.get("scale")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale not in LIKERT_SCALES:
        problems.append(f"{where}: scale must be a whole number from 2 to 11, not {scale!r}")
        scale = 0
    anchors = table.get("anchors", [])
    if not isinstance(anchors, list) or not all(isinstance(a, str) for a in anchors):
        problems.append(f"{where}: anchors must be a list of labels")
        anchors = []
    elif scale and len(anchors) not in (0, 2, scale):
        problems.append(
            f"{where}: anchors must be two labels (low, high) or one per point ({scale}), "
            f"not {len(anchors)}"
        )
    return replace(question, scale=scale, anchors=tuple(a.strip() for a in anchors)), problems


def _options(question: Question, table: dict[str, Any], where: str) -> tuple[Question, list[str]]:
    problems = []
    options = table.get("options")
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        return question, [f"{where}: options must be a list of labels"]
    options = [o.strip() for o in options]
    if not 2 <= len(options) <= MAX_OPTIONS:
        problems.append(f"{where}: options must list 2 to {MAX_OPTIONS}, not {len(options)}")
    if any(not o or has_control_character(o) or ";" in o for o in options):
        problems.append(f"{where}: options: a label is empty or holds ';' or a control character")
    twice = sorted({o for o in options if options.count(o) > 1})
    if twice:
        problems.append(f"{where}: options: listed twice: {', '.join(twice)}")
    return replace(question, options=tuple(options)), problems


def _text(question: Question, table: dict[str, Any], where: str) -> tuple[Question, list[str]]:
    length = table.get("max_length", DEFAULT_TEXT_LENGTH)
    if (
        isinstance(length, bool)
        or not isinstance(length, int)
        or not 1 <= length <= MAX_TEXT_LENGTH
    ):
        problem = f"{where}: max_length must be a whole number from 1 to {MAX_TEXT_LENGTH}"
        return question, [problem]
    return replace(question, max_length=length), []


# -- answers ---------------------------------------------------------------------------------


def answer_of_json(question: Question, value: Any) -> Answer:
    """The answer `value` (as JSON holds it) to `question`; ValueError when it is not one."""
    kind = question.type
    if kind is QuestionType.LIKERT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{question.key}: a rating is a whole number")
        if not 1 <= value <= question.scale:
            raise ValueError(f"{question.key}: {value} is not between 1 and {question.scale}")
        return value
    if kind is QuestionType.CHOICE:
        if value not in question.options:
            raise ValueError(f"{question.key}: {value!r} is not one of its options")
        return str(value)
    if kind is QuestionType.MULTI:
        if not isinstance(value, list | tuple) or any(v not in question.options for v in value):
            raise ValueError(f"{question.key}: not a list of its options")
        return tuple(o for o in question.options if o in value)
    if not isinstance(value, str):
        raise ValueError(f"{question.key}: a text answer is text")
    if len(value) > question.max_length:
        raise ValueError(
            f"{question.key}: {len(value)} characters, more than its {question.max_length}"
        )
    return value


def answer_problems(
    questions: tuple[Question, ...],
    answers: tuple[RubricAnswer, ...],
    layout: str = "single",
    *,
    enforce_required: bool = True,
) -> list[str]:
    """What stops the answers from being submitted: a required question left blank (named by
    its prompt), an answer to no question of the layout, a value its question does not take."""
    asked = {q.key: q for q in questions if layout in q.layouts}
    given = {a.key: a for a in answers}
    problems = []
    if len(given) != len(answers):
        problems.append("a question is answered twice")
    for answer in answers:
        question = asked.get(answer.key)
        if question is None:
            problems.append(f"'{answer.key}' is not a question of this study")
            continue
        try:
            answer_of_json(question, answer.to_json())
        except ValueError as error:
            problems.append(str(error))
    blank = [q for q in asked.values() if q.required and not _answered(given.get(q.key))]
    blank = blank if enforce_required else []
    if blank:
        problems.append("answer " + "; ".join(f"“{q.prompt}”" for q in blank))
    return problems


def in_order(
    questions: tuple[Question, ...], answers: tuple[RubricAnswer, ...]
) -> tuple[RubricAnswer, ...]:
    """Checked answers as stored: in the questions' order, a multi's options in theirs."""
    given = {a.key: a for a in answers}
    return tuple(
        RubricAnswer(q.key, answer_of_json(q, given[q.key].to_json()))
        for q in questions
        if q.key in given
    )


def _answered(answer: RubricAnswer | None) -> bool:
    """Whether a required question is answered: a multi by at least one option (an empty
    list is what an untouched form holds), a text by non-blank text."""
    if answer is None:
        return False
    if isinstance(answer.value, tuple):
        return bool(answer.value)
    if isinstance(answer.value, str):
        return bool(answer.value.strip())
    return True


def answers_to_json(answers: tuple[RubricAnswer, ...]) -> dict[str, Any]:
    return {a.key: a.to_json() for a in answers}


def answers_from_json(data: Any) -> tuple[RubricAnswer, ...]:
    """Answers as a draft or an export holds them ({key: value}); the type of each value is
    kept as it is (checked against the questions on submit)."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        raise ValueError("answers must be an object")
    found = []
    for key, value in data.items():
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValueError(f"{key}: a list of options holds something else")
            value = tuple(value)
        elif isinstance(value, bool) or not isinstance(value, int | str | tuple):
            raise ValueError(f"{key}: not an answer")
        found.append(RubricAnswer(str(key), value))
    return tuple(found)
