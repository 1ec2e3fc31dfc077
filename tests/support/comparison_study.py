"""A study of compare and rank items made through the real services from a study.toml: two
perturbation pairs shown as compare items (`pairs_as = "compare"`) and one rank item of four
text answers, for evaluators Ada and Bob under two conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalstudio.core.comparison import Ordering
from evalstudio.core.model import Evaluator, Study
from evalstudio.core.review import JudgmentForm
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from support.builders import pair, write_jsonl

ANSWERS = (
    "Paris is the capital of France.",
    "The capital of France is Lyon.",
    "France's capital city is Paris, on the Seine.",
    "I am not sure.",
)


def ranked(id: str = "cap", answers: tuple[str, ...] = ANSWERS, **fields: Any) -> dict[str, Any]:
    """A record of several text answers to one prompt (a rank item with 3+, compare with 2)."""
    return {
        "id": id,
        "prompt": "What is the capital of France?",
        "kind": "text",
        "candidates": [{"id": f"{id}-{n}", "text": text} for n, text in enumerate(answers)],
        **fields,
    }


def comparison_study(
    workspace: Workspace, folder: Path, name: str = "Compare", options: str = ""
) -> Study:
    records = [*pair("p0", "Write add0."), *pair("p1", "Write add1."), ranked()]
    write_jsonl(folder / "tasks.jsonl", records)
    (folder / "study.toml").write_text(
        f'name = "{name}"\ntasks = "tasks.jsonl"\nseed = 11\nevaluators = ["Ada", "Bob"]\n'
        f'pairs_as = "compare"\n{options}',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return studies.study_named(workspace, name)


def fluency_question(*, required: bool = False) -> str:
    """study.toml's likert question on compare and rank items, as the window tests ask it."""
    return (
        '\n[[questions]]\nkey = "fluency"\ntype = "likert"\n'
        'prompt = "How well written is the better answer?"\nscale = 5\n'
        + ("required = true\n" if required else "")
        + 'layouts = ["compare", "rank"]\n'
    )


def session_of(workspace: Workspace, study: Study, name: str) -> ReviewSession:
    evaluator: Evaluator = next(e for e in list_evaluators(workspace) if e.name == name)
    return ReviewSession(workspace, study, evaluator)


def order_form(*tiers: tuple[str, ...], strength: int | None = None) -> JudgmentForm:
    return JudgmentForm(ordering=Ordering(tuple(tiers), strength), confidence=4)
