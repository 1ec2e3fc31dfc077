"""A study's definition (study.toml): what the owner decides before labeling starts.

`parse_definition` checks a decoded TOML table field by field and reports every problem with
the key it is about; docs/study-format.md describes the file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from evalstudio.core.assist_kinds import DEFAULT_ASSIST_KINDS, DEFAULT_TOOLS, EXECUTION_KINDS
from evalstudio.core.assistance import AssistKind
from evalstudio.core.comparison import CompareScale, Layout
from evalstudio.core.expert import AssistantSource
from evalstudio.core.misleading import Misalignment
from evalstudio.core.model import has_control_character
from evalstudio.core.review import Condition
from evalstudio.core.rubric import Question, parse_questions

DEFAULT_CONDITIONS = (Condition.UNASSISTED, Condition.ASSISTED)


@dataclass(frozen=True)
class StudyDefinition:
    name: str
    tasks: str  # path of the task file, relative to the definition file
    seed: str
    evaluators: tuple[str, ...]
    conditions: tuple[Condition, ...] = DEFAULT_CONDITIONS
    misleading_p: float = 0.3
    misalignment: Misalignment = Misalignment.ADVERSARIAL  # how a misleading response is chosen
    # Where the misleading condition's honest critiques come from (core/expert.py).
    assistant: AssistantSource = AssistantSource.MODEL
    assist_kinds: tuple[AssistKind, ...] = DEFAULT_ASSIST_KINDS
    judgments_per_pair: int | None = None
    gold_rate: float = 0.0
    commit_before_reveal: bool = False
    pregenerated: bool = False  # show pre-generated responses (else every response is live)
    guidelines: str | None = None  # path of a Markdown file, relative to the definition
    expected_detection: float = 0.27  # the unassisted detection rate the power estimate assumes
    tools: tuple[AssistKind, ...] = DEFAULT_TOOLS  # run / examples, offered in every condition
    description: str = ""
    questions: tuple[Question, ...] = ()  # rubric questions beside the built-in form
    # How perturbation pairs are shown: each twin alone (single) or both side by side
    # (compare, with a known answer); and the comparisons' scale (core/comparison.py).
    pairs_as: Layout = Layout.SINGLE
    compare_strength: bool = True
    compare_ties: bool = True

    @property
    def compare_scale(self) -> CompareScale:
        return CompareScale(self.compare_strength, self.compare_ties)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["conditions"] = [c.value for c in self.conditions]
        data["misalignment"] = self.misalignment.value
        data["assistant"] = self.assistant.value
        data["assist_kinds"] = [k.value for k in self.assist_kinds]
        data["tools"] = [k.value for k in self.tools]
        data["evaluators"] = list(self.evaluators)
        data["questions"] = [q.to_json() for q in self.questions]
        data["pairs_as"] = self.pairs_as.value
        # A definition without questions or comparisons reads (and hashes) as it always did.
        if not self.questions:
            del data["questions"]
        for key, default in (
            ("pairs_as", "single"),
            ("compare_strength", True),
            ("compare_ties", True),
        ):
            if data[key] == default:
                del data[key]
        return {key: value for key, value in data.items() if value is not None}  # TOML has no null

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StudyDefinition:
        found = parse_definition(data)
        if isinstance(found, list):
            raise ValueError("; ".join(found))
        return found


@dataclass
class _Reader:
    data: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool) and key == "seed":
            value = str(value)  # seed = 2026 is as good a seed as "2026"
        if not isinstance(value, str):
            self.problems.append(f"{key}: must be text, not {type(value).__name__}")
            return default
        if required and not value.strip():
            self.problems.append(f"{key}: is required")
        return value.strip()

    def number(
        self, key: str, default: float, low: float, high: float, *, open_high: bool
    ) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(f"{key}: must be a number, not {type(value).__name__}")
            return default
        if not low <= value <= high or (open_high and value == high):
            bound = f"{high})" if open_high else f"{high}]"
            self.problems.append(f"{key}: {value} is not in [{low}, {bound}")
            return default
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problems.append(f"{key}: must be true or false")
            return default
        return value

    def names(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{key}: must be a list of names")
            return []
        return [v.strip() for v in value]


def parse_definition(data: dict[str, Any]) -> StudyDefinition | list[str]:
    """The definition, or every problem found (each starting with its key)."""
    known = set(StudyDefinition.__dataclass_fields__)
    r = _Reader(data)
    for key in data:
        if key not in known:
            r.problems.append(f"{key}: unknown field (known: {', '.join(sorted(known))})")
    name = r.text("name", required=True)
    if has_control_character(name):
        r.problems.append("name: holds a control character")
    tasks = r.text("tasks", required=True)
    seed = r.text("seed", required=True)
    evaluators = r.names("evaluators")
    if "evaluators" in data and not evaluators:
        r.problems.append("evaluators: list at least one evaluator")
    elif "evaluators" not in data:
        r.problems.append("evaluators: is required (the names of the people who will label)")
    if any(not e for e in evaluators):
        r.problems.append("evaluators: a name is empty")
    if any(has_control_character(e) for e in evaluators):
        r.problems.append("evaluators: a name holds a control character")
    twice = sorted({e for e in evaluators if evaluators.count(e) > 1})
    if twice:
        r.problems.append(f"evaluators: listed twice: {', '.join(twice)}")
    conditions = _choices(r, "conditions", Condition, DEFAULT_CONDITIONS)
    kinds = _choices(r, "assist_kinds", AssistKind, DEFAULT_ASSIST_KINDS)
    tools = _tools(r)
    per_pair = data.get("judgments_per_pair")
    if per_pair is not None and (
        isinstance(per_pair, bool) or not isinstance(per_pair, int) or per_pair < 1
    ):
        r.problems.append("judgments_per_pair: must be a whole number of at least 1")
        per_pair = None
    elif per_pair is not None and evaluators and per_pair > len(evaluators):
        r.problems.append(
            f"judgments_per_pair: {per_pair} is more than the {len(evaluators)} evaluators "
            "(an evaluator sees one twin of a pair)"
        )
    questions, found = parse_questions(data.get("questions"))
    r.problems += found
    definition = StudyDefinition(
        name=name,
        tasks=tasks,
        seed=seed,
        evaluators=tuple(evaluators),
        conditions=conditions,
        misleading_p=r.number("misleading_p", 0.3, 0.0, 1.0, open_high=False),
        misalignment=_choice(r, "misalignment", Misalignment, Misalignment.ADVERSARIAL),
        assistant=_choice(r, "assistant", AssistantSource, AssistantSource.MODEL),
        assist_kinds=kinds,
        judgments_per_pair=per_pair,
        gold_rate=r.number("gold_rate", 0.0, 0.0, 1.0, open_high=True),
        commit_before_reveal=r.flag("commit_before_reveal", False),
        pregenerated=r.flag("pregenerated", False),
        guidelines=r.text("guidelines") or None,
        expected_detection=r.number("expected_detection", 0.27, 0.0, 1.0, open_high=True),
        description=r.text("description"),
        tools=tools,
        questions=questions,
        pairs_as=_choice(r, "pairs_as", Layout, Layout.SINGLE),
        compare_strength=r.flag("compare_strength", True),
        compare_ties=r.flag("compare_ties", True),
    )
    if definition.pairs_as is Layout.RANK:
        r.problems.append("pairs_as: a pair has two twins: single or compare")
    return r.problems or definition


def _tools(r: _Reader) -> tuple[AssistKind, ...]:
    """`tools`: which of the execution kinds (run, examples) code items offer in every
    condition; an empty list offers none. The model's kinds (probe too) go in assist_kinds."""
    if r.data.get("tools") == []:
        return ()
    chosen = _choices(r, "tools", AssistKind, DEFAULT_TOOLS)
    wrong = [k.value for k in chosen if k not in EXECUTION_KINDS]
    if wrong:
        allowed = ", ".join(k.value for k in EXECUTION_KINDS)
        r.problems.append(
            f"tools: {', '.join(wrong)} is not run without a model (tools are {allowed}; "
            "the model's kinds, probe included, go in assist_kinds)"
        )
    return tuple(k for k in chosen if k in EXECUTION_KINDS)


E = TypeVar("E", Condition, AssistKind, Misalignment, AssistantSource, Layout)


def _choice(r: _Reader, key: str, enum: type[E], default: E) -> E:
    value = r.text(key, default=default.value)
    try:
        return enum(value)
    except ValueError:
        r.problems.append(f"{key}: '{value}' is not one of {', '.join(e.value for e in enum)}")
        return default


def _choices(r: _Reader, key: str, enum: type[E], default: tuple[E, ...]) -> tuple[E, ...]:
    if key not in r.data:
        return default
    values = r.names(key)
    chosen = []
    for value in values:
        try:
            chosen.append(enum(value))
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            r.problems.append(f"{key}: '{value}' is not one of {allowed}")
    if len(set(chosen)) != len(chosen):
        r.problems.append(f"{key}: an entry is listed twice")
    if not values:
        r.problems.append(f"{key}: list at least one")
    return tuple(chosen) or default
