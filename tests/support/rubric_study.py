"""A study with one rubric question of each type, made through the real services from a
study.toml: three items outside pairs (every evaluator sees each), evaluators Ada and Bob, one
condition, so agreement and distributions can be counted by hand."""

from __future__ import annotations

from pathlib import Path

from evalstudio.core.model import Study, Verdict
from evalstudio.core.review import JudgmentForm
from evalstudio.core.rubric import RubricAnswer
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace
from support.builders import record, write_jsonl

QUESTIONS = """
[[questions]]
key = "helpful"
type = "likert"
prompt = "How helpful is the answer?"
scale = 5
anchors = ["not at all", "very"]
required = true

[[questions]]
key = "tone"
type = "choice"
prompt = "Tone"
options = ["formal", "casual"]

[[questions]]
key = "problems"
type = "multi"
prompt = "Which apply?"
options = ["hallucinates", "ignores the instruction", "unsafe"]

[[questions]]
key = "note"
type = "text"
prompt = "Anything else?"
max_length = 200
"""


def rubric_study(workspace: Workspace, folder: Path, name: str = "Rubric") -> Study:
    write_jsonl(
        folder / "tasks.jsonl",
        [record(f"item{n}", prompt=f"Write add{n}(a, b).") for n in range(3)],
    )
    (folder / "study.toml").write_text(
        f'name = "{name}"\ntasks = "tasks.jsonl"\nseed = 7\nevaluators = ["Ada", "Bob"]\n'
        f'conditions = ["assisted"]\n{QUESTIONS}',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return studies.study_named(workspace, name)


def answered(
    helpful: int | None, tone: str | None = None, problems: tuple[str, ...] = (), note: str = ""
) -> JudgmentForm:
    """A complete built-in form with these answers (None and "" leave a question blank)."""
    answers = [RubricAnswer("problems", problems)]
    if helpful is not None:
        answers.insert(0, RubricAnswer("helpful", helpful))
    if tone is not None:
        answers.insert(1 if helpful is not None else 0, RubricAnswer("tone", tone))
    if note:
        answers.append(RubricAnswer("note", note))
    return JudgmentForm(Verdict.ACCEPTABLE, quality=5, confidence=4, answers=tuple(answers))
