"""The report's "model evaluators" section: each artificial-sandwiching sweep of the study
(services/models/sandwich.py) with its settings, progress, time and tokens, and its curve over p."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalstudio.core.analysis.sandwich import SweepPoint, Trial, summary, sweep_point
from evalstudio.core.model import Truth, Verdict
from evalstudio.services.report.assistance import Seen
from evalstudio.services.studies.scores import ScoredJudgment
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assignments, assist_log, model_evaluators


@dataclass(frozen=True)
class SandwichRun:
    run_id: str
    created_at: str
    settings: dict[str, Any]  # both roles (model, file SHA-256), prompts' SHA-256, p, seed
    cells: int
    judged: int  # final judgments made, over every cell
    total: int  # cells × items of the study
    seconds_per_item: float | None  # mean wall time of a judged item (replayed requests: ~0)
    tokens_per_item: dict[str, float]  # as if every request were computed (for estimates)
    points: list[SweepPoint]
    summary: str
    expert: float = 1.0  # the expert line: the ground truth is right on every item


def sandwich_runs(
    workspace: Workspace, study_id: str, scored: list[ScoredJudgment], seen: Seen
) -> list[SandwichRun]:
    """Every sweep of the study, oldest first, from the stored judgments and responses."""
    db = workspace.db
    by_evaluator: dict[str, list[ScoredJudgment]] = {}
    for s in scored:
        by_evaluator.setdefault(s.judgment.evaluator_id, []).append(s)
    found = []
    for run in model_evaluators.runs_of_study(db, study_id):
        cells = model_evaluators.cells(db, run["id"])
        ids = [c["evaluator_id"] for c in cells]
        finals = [s for e in ids for s in by_evaluator.get(e, [])]
        trials: dict[float, list[Trial]] = {}
        for cell in cells:
            for s in by_evaluator.get(cell["evaluator_id"], []):
                trial = _trial(s, seen)
                if trial is not None:
                    trials.setdefault(cell["p"], []).append(trial)
        seed = int(run["settings_sha256"][:8], 16)
        points = [sweep_point(p, trials[p], seed) for p in sorted(trials)]
        total = sum(len(assignments.assigned(db, study_id, e)) for e in ids)
        found.append(
            SandwichRun(
                run_id=run["id"],
                created_at=run["created_at"],
                settings=run["settings"],
                cells=len(cells),
                judged=len(finals),
                total=total,
                seconds_per_item=(
                    sum(s.judgment.form.active_ms for s in finals) / 1000 / len(finals)
                    if finals
                    else None
                ),
                tokens_per_item=_tokens(workspace, ids, len(finals)),
                points=points,
                summary=summary(points) + _caveat(run["settings"]["misalignment"]),
            )
        )
    return found


def _trial(s: ScoredJudgment, seen: Seen) -> Trial | None:
    """The item as a trial of the sweep: needs the first verdict, the critique read, truth."""
    critiques = seen.get((s.judgment.evaluator_id, s.judgment.study_item_id))
    if s.first is None or s.truth is None or not critiques:
        return None
    _, critique, manipulated = critiques[-1]
    truth = Verdict.FLAWED if s.truth is Truth.FLAWED else Verdict.ACCEPTABLE
    first, final, said = s.first.form.verdict, s.judgment.form.verdict, critique.verdict
    followed = manipulated and said is not None and final is said
    return Trial(
        cluster=s.task_id,
        alone=first is truth,
        assisted=final is truth,
        assistant=None if said is None else said is truth,
        manipulated=manipulated,
        followed=followed,
        switched=followed and first is not said,
    )


def _tokens(workspace: Workspace, evaluator_ids: list[str], judged: int) -> dict[str, float]:
    if not judged:
        return {}
    db = workspace.db
    judge = model_evaluators.call_totals(db, evaluator_ids).values()
    helper = assist_log.token_totals(db, evaluator_ids)
    return {
        "evaluator_prompt": sum(t["prompt"] for t in judge) / judged,
        "evaluator_completion": sum(t["completion"] for t in judge) / judged,
        "assistant_prompt": helper["prompt"] / judged,
        "assistant_completion": helper["completion"] / judged,
    }


def _caveat(misalignment: str) -> str:
    if misalignment != "flip":
        return ""
    return (
        " A flipped response is wrong only where the honest critique was right: where the "
        "assistant is mostly wrong, flipping it makes it right, so its accuracy can rise with p."
    )
