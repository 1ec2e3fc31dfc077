"""Suggest a flaw: the model plants one flaw in a correct answer, for the study owner to review
(the tampering method of OpenAI's CriticGPT work). The owner's tool: it sees ground truth,
is not evaluator assistance, and is not written to the assistance log."""

from __future__ import annotations

import json
from dataclasses import dataclass

from evalstudio.assist.backend import GenerationParams
from evalstudio.assist.prompts import ItemContext
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import LineRange, Severity
from evalstudio.core.perturbation import changed_lines, similarity
from evalstudio.services.assistance.assistant import Assistant

MAX_DESCRIPTION = 400
MIN_SIMILARITY = 0.6  # below this, the "twin" is a different answer, not a perturbation


@dataclass(frozen=True)
class FlawSuggestion:
    correct: str
    flawed: str
    description: str
    severity: Severity
    lines: LineRange  # where the flawed twin differs, from the diff (not from the model)


def suggestion_schema() -> dict[str, object]:
    return {
        "type": "object",
        "properties": {
            "flawed_answer": {"type": "string"},
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
            "severity": {"enum": [s.value for s in Severity]},
        },
        "required": ["flawed_answer", "description", "severity"],
    }


def suggest_flaw(
    assistant: Assistant, context: ItemContext, max_tokens: int = 1024
) -> FlawSuggestion:
    """Ask the model for a flawed twin of a correct answer (`context.candidate`).

    Raises EvalStudioError when the reply cannot be read, changes nothing or rewrites the
    answer: the owner asks again, or writes the twin by hand."""
    correct = context.candidate
    messages = assistant.prompts.suggest_flaw(context)
    params = GenerationParams(
        max_tokens=max_tokens,
        temperature=assistant.settings.temperature,
        json_schema=suggestion_schema(),
    )
    stream = assistant.backend.stream(messages, params)
    text = "".join(stream)
    if stream.error:
        raise EvalStudioError(f"the model could not answer: {stream.error}")
    try:
        data = json.loads(text)
        flawed = str(data["flawed_answer"])
        description = str(data["description"]).strip()
        severity = Severity(data["severity"])
    except (ValueError, KeyError, TypeError):
        raise EvalStudioError(
            "the model's suggestion was cut short or not readable; ask again, or allow a "
            "longer answer"
        ) from None
    lines = changed_lines(correct, flawed)
    if lines is None:
        raise EvalStudioError("the model returned the answer unchanged; ask again")
    kept = similarity(correct, flawed)
    if kept < MIN_SIMILARITY:
        raise EvalStudioError(
            f"the model rewrote the answer instead of planting one flaw (only {kept:.0%} of "
            "its lines kept); ask again, use a stronger model, or write the twin by hand"
        )
    return FlawSuggestion(correct, flawed, description, severity, lines)


def suggest_for_answer(
    assistant: Assistant,
    prompt: str,
    answer: str,
    language: str,
    reference: str | None = None,
    max_tokens: int = 1024,
) -> FlawSuggestion:
    """`suggest_flaw` for an answer given as text (the pair editor's, not a study item's)."""
    context = ItemContext(prompt, answer, language, reference)
    return suggest_flaw(assistant, context, max_tokens=max_tokens)
