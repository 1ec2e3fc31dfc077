"""The owner's review of unplanted flaws: flaws evaluators reported that match nothing planted
(anywhere on a correct twin, away from the plant on a flawed one). Some are real flaws the
task author missed; the owner marks which, and the report counts them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.ids import new_id
from evalstudio.core.model import Kind, PlantedFlaw, Truth
from evalstudio.core.review import Condition, ReportedFlaw
from evalstudio.services.studies.scores import study_scores
from evalstudio.services.studies.studies import study_named
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import content, flaw_reviews


@dataclass(frozen=True)
class UnplantedFlaw:
    judgment_id: str
    position: int  # the flaw's place in its judgment's list
    item_name: str
    truth: Truth
    evaluator: str
    condition: Condition | None
    flaw: ReportedFlaw
    real: bool | None  # the owner's newest review; None until reviewed
    candidate: str  # what the flaw is about, for the owner to judge it
    kind: Kind
    language: str
    planted: PlantedFlaw | None  # the planted flaw of a flawed twin, for comparison
    # Placed where the answer is not (stored before submit refused such flaws): listed so the
    # owner sees it, counted nowhere, and not for review.
    outside: bool = False

    @property
    def ref(self) -> str:
        """How the CLI names the flaw: "<judgment id>:<position>"."""
        return f"{self.judgment_id}:{self.position}"


def unplanted_flaws(workspace: Workspace, study_name: str) -> list[UnplantedFlaw]:
    """Every unplanted flaw in the study's current final judgments, by item then evaluator."""
    study = study_named(workspace, study_name)
    names = {e.id: e.name for e in list_evaluators(workspace)}
    reviews = flaw_reviews.current_reviews(workspace.db, study.id)
    languages = {t.id: t.language for t in content.tasks_of_study(workspace.db, study.id).values()}
    candidates = {c.external_id: c for c in content.candidates_of_study(workspace.db, study.id)}
    found = [
        UnplantedFlaw(
            s.judgment.id,
            position,
            s.item_name,
            s.truth,
            names.get(s.judgment.evaluator_id, "?"),
            s.judgment.condition,
            s.judgment.form.flaws[position],
            reviews.get((s.judgment.id, position)),
            candidates[s.item_name].text,
            s.kind,
            languages[candidates[s.item_name].task_id],
            s.planted,
            position in s.scored.outside,
        )
        for s in study_scores(workspace, study.id)
        if s.truth is not None and not s.by_model  # a model's flaws are not the owner's to review
        for position in sorted(s.scored.unplanted + s.scored.outside)
    ]
    return sorted(found, key=lambda f: (f.item_name, f.evaluator, f.position))


def review_flaw(workspace: Workspace, study_name: str, ref: str, real: bool) -> UnplantedFlaw:
    """Record the owner's review of the unplanted flaw `ref` ("<judgment id>:<position>")."""
    flaws = {f.ref: f for f in unplanted_flaws(workspace, study_name)}
    flaw = flaws.get(ref.strip())
    if flaw is not None and flaw.outside:
        raise EvalStudioError(
            f"flaw '{ref}' is placed outside the answer: it is not counted, so not reviewed"
        )
    if flaw is None:
        raise EvalStudioError(
            f"no unplanted flaw '{ref}' in study '{study_name}' "
            "(`evalstudio flaws list` shows each flaw's reference)"
        )
    with workspace.db.atomic():
        flaw_reviews.insert_review(
            workspace.db, new_id(), flaw.judgment_id, flaw.position, real, now()
        )
    return replace(flaw, real=real)
