"""A model evaluator as the domain sees it: its profile (which model judges, with which
prompts and seed, how often it asks for help, and in a sweep how its assistant misleads), the
JSON schema its judgments are held to, and how a reply becomes the judgment form a person
would have submitted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from evalstudio.core.assistance import Critique, Outcome
from evalstudio.core.expert import AssistantSource
from evalstudio.core.misleading import Misalignment, Misleading
from evalstudio.core.model import Kind, LineRange, Severity, Span, Verdict
from evalstudio.core.review import (
    CONFIDENCE_RANGE,
    QUALITY_RANGE,
    JudgmentForm,
    ReportedFlaw,
    Stage,
)

MAX_FLAWS = 2
MAX_WHY = 160
MAX_ASSISTANCE = 4000  # characters of an unstructured response shown to the judge


@dataclass(frozen=True)
class ModelRole:
    """One model's part in a run, as needed to run it again: what the user named (`spec`:
    "bundled", a GGUF path, or a server URL), what answered, its file's SHA-256, sampling."""

    spec: str
    backend: str
    model_id: str
    sha256: str | None
    temperature: float
    max_tokens: int

    @property
    def identity(self) -> str:
        """What decides the answers: the file's hash, else the server's model name."""
        return self.sha256 or f"{self.backend}:{self.model_id}"


@dataclass(frozen=True)
class EvaluatorProfile:
    """What a model evaluator is. `assist_every`: asks for assistance on every n-th assisted
    item of its queue (1: all; 0: never). `misleading`: in a sweep, the assistant's own
    misalignment for this evaluator's misleading items (else the study's applies), with where
    its honest critiques come from; `adversary`: the model that writes its manipulated ones."""

    judge: ModelRole
    assistant: ModelRole | None
    prompts: dict[str, str]  # template file → SHA-256 of its text
    seed: str
    assist_every: int = 1
    misleading: Misleading | None = None
    adversary: ModelRole | None = None  # writes the manipulated responses, if not the assistant

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.misleading is not None:
            data["misleading"]["misalignment"] = self.misleading.misalignment.value
            data["misleading"]["source"] = self.misleading.source.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvaluatorProfile:
        misleading = data.get("misleading")
        assistant = data.get("assistant")
        adversary = data.get("adversary")
        return cls(
            judge=ModelRole(**data["judge"]),
            assistant=ModelRole(**assistant) if assistant else None,
            prompts=dict(data["prompts"]),
            seed=str(data["seed"]),
            assist_every=int(data["assist_every"]),
            misleading=Misleading(
                p=float(misleading["p"]),
                seed=str(misleading["seed"]),
                misalignment=Misalignment(misleading["misalignment"]),
                key=misleading.get("key"),
                # Profiles made before the expert's copy existed had the model's critiques.
                source=AssistantSource(misleading.get("source", AssistantSource.MODEL.value)),
            )
            if misleading
            else None,
            adversary=ModelRole(**adversary) if adversary else None,
        )


@dataclass(frozen=True)
class JudgeRequest:
    """A model evaluator's request to its own model: seeded, so the same request is answered
    the same; `reused_from` names the logged call whose reply it replays."""

    id: str
    evaluator_id: str
    study_item_id: str
    stage: Stage
    messages: list[dict[str, str]]
    params: dict[str, Any]
    seed: int | None
    request_sha256: str
    requested_at: str
    reused_from: str | None


@dataclass(frozen=True)
class JudgeCall:
    """A judge request and how it ended: what the model replied, and the judgment it made."""

    request: JudgeRequest
    response: str
    outcome: Outcome
    error: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    judgment_id: str | None
    ended_at: str
    served_by: str | None = None  # the server that answered (its base URL), if one did


def judgment_schema(line_count: int, stage: Stage) -> dict[str, Any]:
    """The reply a model evaluator gives: verdict, up to two flawed lines of the candidate
    (each with a severity and a short reason), confidence, and on a final judgment the
    quality rating. Every value is bounded, so the reply always parses and stays short."""
    flaw = {
        "type": "object",
        "properties": {
            "line": {"enum": list(range(1, max(1, line_count) + 1))},
            "severity": {"enum": [s.value for s in Severity]},
            "why": {"type": "string", "maxLength": MAX_WHY},
        },
        "required": ["line", "severity", "why"],
    }
    properties: dict[str, Any] = {
        "verdict": {"enum": [v.value for v in Verdict]},
        "flaws": {"type": "array", "items": flaw, "maxItems": MAX_FLAWS},
        "confidence": {"enum": list(CONFIDENCE_RANGE)},
    }
    if stage is Stage.FINAL:
        properties["quality"] = {"enum": list(QUALITY_RANGE)}
    return {"type": "object", "properties": properties, "required": list(properties)}


def form_from_reply(
    reply: str, candidate: str, kind: Kind, stage: Stage, active_ms: int
) -> JudgmentForm | None:
    """The judgment form a reply fills, or None if it is not a complete judgment (cut short).
    A flaw names a line; on a text candidate it becomes that line's character span. Flaws
    count only with the verdict "flawed", as the form a person fills has them."""
    try:
        # strict=False: the grammar lets a string hold a raw newline (seen in a "why").
        data = json.loads(reply, strict=False)
        verdict = Verdict(data["verdict"])
        confidence = int(data["confidence"])
        quality = int(data["quality"]) if stage is Stage.FINAL else None
        raw_flaws = data.get("flaws") or []
    except (ValueError, KeyError, TypeError):
        return None
    lines = candidate.splitlines() or [""]
    flaws = []
    for raw in raw_flaws if verdict is Verdict.FLAWED else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("line"), int):
            continue
        line = min(max(1, raw["line"]), len(lines))
        where: dict[str, Any] = {"lines": LineRange(line, line)}
        if kind is Kind.TEXT:
            start = sum(len(x) for x in candidate.splitlines(keepends=True)[: line - 1])
            where = {"span": Span(start, max(start + 1, start + len(lines[line - 1])))}
        why = str(raw.get("why") or "").strip() or f"line {line}"
        flaws.append(ReportedFlaw(_severity(raw.get("severity")), why[:MAX_WHY], **where))
    return JudgmentForm(
        verdict=verdict,
        quality=quality,
        confidence=confidence,
        flaws=tuple(flaws),
        active_ms=active_ms,
    )


def _severity(value: object) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        return Severity.MAJOR


def assistance_text(critique: Critique, raw: str) -> str:
    """The assistant's response as the judge reads it: the critique's points and verdict, or
    the raw text (cut) when it did not parse into any."""
    if not critique.points and critique.verdict is None:
        return raw.strip()[:MAX_ASSISTANCE] or "(the assistant gave no answer)"
    lines = []
    for point in critique.points:
        where = (
            f"line {point.lines.start}"
            if point.lines and point.lines.start == point.lines.end
            else f"lines {point.lines.start}-{point.lines.end}"
            if point.lines
            else "no line given"
        )
        lines.append(f"- {where} ({point.severity.value}): {point.claim}")
    verdict = critique.verdict.value if critique.verdict else "none given"
    return "\n".join([*lines, f"Verdict: {verdict}"]) if lines else f"Verdict: {verdict}"
