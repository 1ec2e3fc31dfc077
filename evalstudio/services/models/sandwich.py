"""Artificial sandwiching: a sweep of model evaluators over the misaligned assistant's p.

A run is one grid (p values × repeats) on one study. Each cell is played by its own model
evaluator profile whose queue is every item of the study under the misleading condition, with
the cell's p: it commits a verdict alone (the weak evaluator alone), reads the assistant's
critique (manipulated as the draw says) and judges again (the weak evaluator with the
assistant). The cells of one repeat share the evaluator's seeds and the assistant's draws, so
p is the only difference between them (an item manipulated at p is manipulated at every larger
p). A run is found again by its settings, so running the same command again resumes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.expert import AssistantSource
from evalstudio.core.ids import new_id
from evalstudio.core.misleading import Misalignment, Misleading
from evalstudio.core.model import Study
from evalstudio.core.model_evaluator import EvaluatorProfile, ModelRole
from evalstudio.core.review import Condition
from evalstudio.services.assistance.model_roles import Role, describe, open_roles
from evalstudio.services.models.model_evaluator import (
    ModelEvaluator,
    Progress,
    RunResult,
    add_model_evaluator,
    work_through,
)
from evalstudio.services.studies.studies import study_items
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import assignments, model_evaluators, people

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Sweep:
    misalignment: Misalignment
    ps: tuple[float, ...]
    repeats: int
    seed: str
    assist_every: int = 1
    source: AssistantSource = AssistantSource.MODEL  # the honest critiques: model or expert


def parse_ps(text: str) -> tuple[float, ...]:
    """ "0,0.25,0.5" → the p values, each in [0, 1], none twice, ascending."""
    values = []
    for part in (t.strip() for t in text.split(",")):
        try:
            value = float(part)
        except ValueError:
            raise EvalStudioError(f"'{part}' is not a number", where="--p") from None
        if not 0.0 <= value <= 1.0:
            raise EvalStudioError(f"{part} is not between 0 and 1", where="--p")
        values.append(value)
    if len(set(values)) != len(values):
        raise EvalStudioError("a value is listed twice", where="--p")
    return tuple(sorted(values))


def run_sweep(
    workspace: Workspace,
    study: Study,
    sweep: Sweep,
    evaluator: Role,
    assistant: Role,
    *,
    adversary: Role | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunResult:
    """Run (or resume) the sweep (see `work_through` for failures and interrupts), as many
    items at once as both roles' backends take. `adversary`: a second model that writes the
    manipulated responses (else the assistant)."""
    with open_roles(workspace, evaluator, assistant, adversary) as (judge, helper):
        roles = (
            describe(workspace, evaluator, judge),
            describe(workspace, assistant, helper.backend),
        )
        against = (
            describe(workspace, adversary, helper.adversary)
            if adversary is not None and helper.adversary is not None
            else None
        )
        run_id = _run_of(workspace, study, sweep, *roles, against, helper.prompts.digests)
        cells = model_evaluators.cells(workspace.db, run_id)
        # Repeat by repeat: an interrupted run has whole curves for its first repeats.
        players = [
            (
                f"p={c['p']:g} repeat {c['repeat']}",
                ModelEvaluator(
                    workspace,
                    study,
                    people.evaluator(workspace.db, c["evaluator_id"]),
                    judge,
                    helper,
                ),
            )
            for c in sorted(cells, key=lambda c: (c["repeat"], c["p"]))
        ]
        width = min(
            r.settings.in_flight for r in (evaluator, assistant, adversary) if r is not None
        )
        return work_through(players, RunResult(resumed=False, run_id=run_id), on_progress, width)


def _run_of(
    workspace: Workspace,
    study: Study,
    sweep: Sweep,
    judge: ModelRole,
    assistant: ModelRole,
    adversary: ModelRole | None,
    prompts: dict[str, str],
) -> str:
    """The run with these settings (to resume), or a new one with its cells and queues."""
    settings = {
        "format_version": FORMAT_VERSION,
        "misalignment": sweep.misalignment.value,
        "p": list(sweep.ps),
        "repeats": sweep.repeats,
        "seed": sweep.seed,
        "assist_every": sweep.assist_every,
        "evaluator": asdict(judge),
        "assistant": asdict(assistant),
        "prompts": prompts,
    }
    # Absent unless chosen, so runs made before these options still resume.
    if sweep.source.expert:
        settings["assistant_source"] = sweep.source.value
    if adversary is not None:
        settings["adversary"] = asdict(adversary)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    db = workspace.db
    found = model_evaluators.run_by_digest(db, study.id, digest)
    if found is not None:
        return str(found["id"])
    run_id, at = new_id(), now()
    items = [(item.item_id, Condition.MISLEADING) for item in study_items(workspace, study.id)]
    with db.atomic():  # the run, every cell and every queue, or nothing
        model_evaluators.insert_run(
            db,
            {
                "id": run_id,
                "study_id": study.id,
                "settings": json.dumps(settings),
                "settings_sha256": digest,
                "created_at": at,
            },
        )
        for p in sweep.ps:
            for repeat in range(1, sweep.repeats + 1):
                profile = EvaluatorProfile(
                    judge=judge,
                    assistant=assistant,
                    adversary=adversary,
                    prompts=prompts,
                    seed=f"{sweep.seed}/repeat {repeat}",
                    assist_every=sweep.assist_every,
                    misleading=Misleading(
                        p,
                        seed=sweep.seed,
                        misalignment=sweep.misalignment,
                        key=f"repeat {repeat}",
                        source=sweep.source,
                    ),
                )
                name = f"sandwich {run_id[:8]} p={p:g} repeat {repeat}"
                player = add_model_evaluator(workspace, name, profile)
                model_evaluators.insert_cell(db, run_id, p, repeat, player.id)
                assignments.insert_assignments(db, study.id, player.id, items)
    return run_id
