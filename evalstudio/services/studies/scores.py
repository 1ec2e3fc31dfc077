"""Every current final judgment of a study scored against its ground truth (owner's view)."""

from __future__ import annotations

from dataclasses import dataclass

from evalstudio.core.model import EvaluatorKind, Kind, PlantedFlaw, Truth
from evalstudio.core.review import Judgment, Stage
from evalstudio.core.scoring import Scored, score
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assignments, content, judgments, people


@dataclass(frozen=True)
class ScoredJudgment:
    judgment: Judgment
    scored: Scored
    first: Judgment | None  # the verdict committed before the assistance, if the study asked
    truth: Truth | None
    gold: bool
    kind: Kind
    planted: PlantedFlaw | None  # on a flawed twin
    item_name: str  # the candidate's external id, as the owner's files name it
    task_id: str  # a pair's twins share it
    by_model: bool  # judged by a model evaluator (kept out of the human figures by default)


def study_scores(workspace: Workspace, study_id: str) -> list[ScoredJudgment]:
    """The current final judgment of each evaluator on each item of their queue, scored; skips
    and items without a judgment are left out. In a study with a plan only what it assigned
    counts: an evaluator it assigns nothing (who reviews every item, review/session.py) is no
    part of the design. In a study without one, every evaluator's judged items count. Model
    evaluators' judgments are included, marked `by_model`."""
    db = workspace.db
    candidate_of = {
        item: cand for cand, item in content.item_ids_by_candidate(db, study_id).items()
    }
    candidates = {c.id: c for c in content.candidates_of_study(db, study_id)}
    kinds = {t.id: t.kind for t in content.tasks_of_study(db, study_id).values()}
    planned = assignments.has_plan(db, study_id)
    found = []
    for evaluator in people.evaluators(db):
        queue = [item for item, _ in assignments.assigned(db, study_id, evaluator.id)]
        if not queue and planned:
            continue
        for item in queue or judgments.judged_items(db, study_id, evaluator.id):
            current = judgments.current_judgments(db, evaluator.id, item)
            final = current.get(Stage.FINAL)
            # A compare or rank item has no verdict to score: store/orders.py reads those.
            if final is None or final.skipped or item not in candidate_of:
                continue
            candidate = candidates[candidate_of[item]]
            scored = score(
                final.form.verdict,
                final.form.flaws,
                candidate.truth,
                candidate.flaw,
                candidate.text,
            )
            found.append(
                ScoredJudgment(
                    final,
                    scored,
                    current.get(Stage.FIRST),
                    candidate.truth,
                    candidate.gold,
                    kinds[candidate.task_id],
                    candidate.flaw,
                    candidate.external_id,
                    candidate.task_id,
                    evaluator.kind is EvaluatorKind.MODEL,
                )
            )
    return found
