"""One evaluator reviewing one study: their queue, and every write the review window makes.

The queue and which items are done are loaded once and kept in step with each write, so
moving to the next item costs the same at the 10,000th judgment as at the first. Methods do
their database work on the calling thread (the UI calls them from its data worker).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from evalstudio.core.assist_kinds import DEFAULT_ASSIST_KINDS
from evalstudio.core.assistance import AssistEvent, AssistKind
from evalstudio.core.comparison import DEFAULT_SCALE, CompareScale, Layout, shown_as
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.ids import new_id
from evalstudio.core.misleading import Misleading
from evalstudio.core.model import Evaluator, ItemView, Study
from evalstudio.core.model_evaluator import EvaluatorProfile
from evalstudio.core.review import (
    Condition,
    ItemState,
    Judgment,
    JudgmentForm,
    PointMark,
    ReviewEvent,
    ReviewStep,
    Stage,
    flaws_outside,
    form_problems,
    next_undone,
)
from evalstudio.core.rubric import Question, answer_problems, in_order
from evalstudio.services.assistance.assistant import stored_response, study_misleading
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import (
    assignments,
    content,
    designs,
    judgments,
    model_evaluators,
    package_info,
    review_log,
)


@dataclass(frozen=True)
class QueueEntry:
    """An item of the evaluator's queue and the condition it is reviewed under."""

    item: ItemView
    condition: Condition


@dataclass(frozen=True)
class ReviewState:
    """What the review window needs to show an item: judgments, draft, marks, reveal."""

    item: ItemState
    draft_stage: Stage | None
    revealed: bool


class ReviewSession:
    def __init__(self, workspace: Workspace, study: Study, evaluator: Evaluator) -> None:
        self.workspace = workspace
        self.study = study
        self.evaluator = evaluator
        db = workspace.db
        self.design = designs.design_of(db, study.id)
        views = {view.item_id: view for view in content.item_views(db, study.id)}
        sides = assignments.shown_sides(db, study.id, evaluator.id)
        seed = self.design.seed if self.design else study.id
        for item_id, view in views.items():
            if view.sides:
                views[item_id] = shown_as(view, sides.get(item_id), seed, evaluator.id)
        assigned = assignments.assigned(db, study.id, evaluator.id)
        if assigned:
            self.queue = [QueueEntry(views[item_id], cond) for item_id, cond in assigned]
        else:
            self.queue = [QueueEntry(view, Condition.ASSISTED) for view in views.values()]
        self._ids = [entry.item.item_id for entry in self.queue]
        self._index = {item_id: i for i, item_id in enumerate(self._ids)}
        self.done = judgments.done_items(db, study.id, evaluator.id) & set(self._index)
        # Where each item stands when the queue opens (its marks); the review view keeps them.
        self.skipped = judgments.skipped_items(db, study.id, evaluator.id) & set(self._index)
        self.drafted = judgments.drafted_items(db, study.id, evaluator.id) & set(self._index)
        self.in_package = package_info.is_package(db)
        found = model_evaluators.profile(db, evaluator.id)
        self.profile = EvaluatorProfile.from_json(found) if found else None

    @property
    def allowed_kinds(self) -> tuple[AssistKind, ...]:
        """The assist kinds the study allows (all, for a study without a definition)."""
        return self.design.assist_kinds if self.design else DEFAULT_ASSIST_KINDS

    @property
    def questions(self) -> tuple[Question, ...]:
        """The study's rubric questions for its single items, in their order."""
        return self.questions_for(Layout.SINGLE)

    def questions_for(self, layout: Layout) -> tuple[Question, ...]:
        """The study's rubric questions for items of `layout`, in their order."""
        if self.design is None:
            return ()
        return tuple(q for q in self.design.questions if layout.value in q.layouts)

    @property
    def compare_scale(self) -> CompareScale:
        """The study's comparison scale (the default for a study without a definition)."""
        return self.design.compare_scale if self.design else DEFAULT_SCALE

    @property
    def uses_stored(self) -> bool:
        """Whether pre-generated responses are shown (a study without a definition: yes)."""
        return self.design is None or self.design.pregenerated

    # -- the queue (memory only) ------------------------------------------------------------

    def index_of(self, item_id: str) -> int:
        return self._index[item_id]

    def resume_index(self) -> int:
        """Where the evaluator goes on (the start page's Continue): the item opened last while
        it is not done, else the next one not done after it (wrapping around), else — all
        done — the item opened last, to revise."""
        last = review_log.last_opened(self.workspace.db, self.study.id, self.evaluator.id)
        at = self._index.get(last, -1) if last is not None else -1
        if at >= 0 and self._ids[at] not in self.done:
            return at
        following = self.next_undone(at)
        return following if following is not None else max(at, 0)

    def next_undone(self, after: int) -> int | None:
        """The first item after position `after` that is not done, wrapping around once."""
        return next_undone(self.item_ids(), self.done, after)

    def item_ids(self) -> list[str]:
        return self._ids

    def first_verdict_needed(self, entry: QueueEntry) -> bool:
        """Whether the item takes a first judgment before its assistance opens — a single
        answer's verdict, a compare or rank item's ordering (an unassisted item has no
        assistance to open). A model evaluator always commits one: it costs one
        more request and gives its judgment alone beside its judgment with help."""
        commits = self.study.commit_before_reveal or self.profile is not None
        return commits and entry.condition.assisted

    def misleading(self, entry: QueueEntry) -> Misleading | None:
        """How the assistant misleads on the entry: as the study says, or, for a model
        evaluator in a sweep, as its cell says (services/models/sandwich.py)."""
        if entry.condition is not Condition.MISLEADING:
            return None
        if self.profile is not None and self.profile.misleading is not None:
            return self.profile.misleading
        return study_misleading(self.study, self.design)

    def stored_response(
        self, entry: QueueEntry, kind: AssistKind, model_id: str
    ) -> AssistEvent | None:
        """The pre-generated response of `kind` the evaluator is shown on the entry, if any.

        In a session package, the one it holds, whatever model is loaded: the package was
        written with exactly the responses its evaluator is to see. In a workspace, by the
        model in use: on a misleading item the response prepared for this evaluator (none:
        the item goes live, manipulated as drawn), else the shared one.
        """
        if not (entry.condition.assisted and self.uses_stored):
            return None
        item_id = entry.item.item_id
        if self.in_package:
            return stored_response(self.workspace, item_id, kind, None)
        mine = self.evaluator.id if entry.condition is Condition.MISLEADING else None
        return stored_response(self.workspace, item_id, kind, model_id, mine)

    # -- reads -------------------------------------------------------------------------------

    def state(self, item_id: str) -> ReviewState:
        db = self.workspace.db
        evaluator = self.evaluator.id
        current = judgments.current_judgments(db, evaluator, item_id)
        found = judgments.draft(db, evaluator, item_id)
        return ReviewState(
            item=ItemState(
                first=current.get(Stage.FIRST),
                final=current.get(Stage.FINAL),
                draft=found[1] if found else None,
                point_marks=review_log.point_marks(db, evaluator, item_id),
            ),
            draft_stage=found[0] if found else None,
            revealed=review_log.revealed(db, evaluator, item_id),
        )

    # -- writes ------------------------------------------------------------------------------

    def opened(self, item_id: str) -> None:
        self._log(item_id, ReviewStep.OPEN)

    def shown(self, item_id: str, assist_event_id: str) -> None:
        """A stored (pre-generated) response was shown to the evaluator."""
        self._log(item_id, ReviewStep.SHOW_RESPONSE, assist_event_id=assist_event_id)

    def mark_point(self, item_id: str, assist_event_id: str, index: int, mark: PointMark) -> None:
        self._log(
            item_id,
            ReviewStep.MARK_POINT,
            assist_event_id=assist_event_id,
            point_index=index,
            mark=mark,
        )

    def save_draft(self, item_id: str, stage: Stage, form: JudgmentForm) -> None:
        db = self.workspace.db
        with db.atomic():
            judgments.save_draft(db, self.evaluator.id, item_id, stage, form, now())

    def submit(self, item_id: str, stage: Stage, form: JudgmentForm) -> Judgment:
        """Record the form as the judgment at `stage`. A first judgment (a verdict, or an
        ordering checked as a final one is) reveals the assistance.

        Raises EvalStudioError listing what is missing or outside the answer; nothing is
        written then.
        """
        item = self.queue[self._index[item_id]].item
        questions = self.questions_for(item.layout)
        problems = form_problems(
            form,
            stage,
            layout=item.layout,
            candidate_ids=tuple(side.candidate_id for side in item.sides),
            scale=self.compare_scale,
        )
        problems += flaws_outside(form, item.candidate)
        if stage is Stage.FINAL:
            # A model evaluator answers the built-in form only: required is asked of people.
            problems += answer_problems(
                questions, form.answers, item.layout.value, enforce_required=self.profile is None
            )
        if problems:
            raise EvalStudioError("; ".join(problems), where="judgment")
        if stage is Stage.FINAL:
            form = replace(form, answers=in_order(questions, form.answers))
        if stage is Stage.FIRST and not self.first_verdict_needed(self.queue[self._index[item_id]]):
            raise EvalStudioError("this item has no first verdict before the assistance")
        return self._append(item_id, stage, form, skipped_reason=None)

    def skip(self, item_id: str, reason: str, active_ms: int) -> Judgment:
        if not reason.strip():
            raise EvalStudioError("a skip needs a reason", where="skip")
        form = JudgmentForm(active_ms=active_ms)
        return self._append(item_id, Stage.FINAL, form, skipped_reason=reason.strip())

    def undo_last(self) -> Judgment | None:
        """Take back the newest final judgment or skip: a retraction row is appended, the item
        is open again and its form comes back as the draft. Returns the retracted judgment."""
        db = self.workspace.db
        with db.atomic():
            last = judgments.last_submitted(db, self.study.id, self.evaluator.id)
            # A first verdict is committed for good: the evaluator has seen the assistance.
            if last is None or last.stage is not Stage.FINAL:
                return None
            at = now()
            judgments.retract(db, new_id(), last.id, at)
            form = last.form if not last.skipped else JudgmentForm(active_ms=last.form.active_ms)
            judgments.save_draft(db, self.evaluator.id, last.study_item_id, Stage.FINAL, form, at)
            content.lower_frontier(
                db, self.evaluator.id, self.study.id, self._position(last.study_item_id)
            )
            self._insert_event(last.study_item_id, ReviewStep.UNDO, at=at)
        self.done.discard(last.study_item_id)
        return last

    def _append(
        self, item_id: str, stage: Stage, form: JudgmentForm, *, skipped_reason: str | None
    ) -> Judgment:
        entry = self.queue[self._index[item_id]]
        db = self.workspace.db
        with db.atomic():
            judgment = Judgment(
                id=new_id(),
                study_item_id=item_id,
                evaluator_id=self.evaluator.id,
                stage=stage,
                # Rubric questions are asked with the final judgment; answers given before
                # the first verdict wait in the final draft below.
                form=form if stage is Stage.FINAL else replace(form, answers=()),
                skipped_reason=skipped_reason,
                condition=entry.condition,
                supersedes_id=judgments.latest_of_item(db, self.evaluator.id, item_id, stage),
                created_at=now(),
            )
            judgments.insert_judgment(db, judgment)
            if stage is Stage.FIRST:
                # The final judgment starts from the first verdict; the assistance opens.
                judgments.save_draft(
                    db, self.evaluator.id, item_id, Stage.FINAL, form, judgment.created_at
                )
                self._insert_event(item_id, ReviewStep.REVEAL, at=judgment.created_at)
            else:
                judgments.drop_draft(db, self.evaluator.id, item_id)
        if stage is Stage.FINAL:
            self.done.add(item_id)
        return judgment

    def _position(self, item_id: str) -> int:
        return self.queue[self._index[item_id]].item.position

    def _log(self, item_id: str, step: ReviewStep, **fields: Any) -> None:
        """Append one review event in its own transaction (see `_insert_event`)."""
        with self.workspace.db.atomic():
            self._insert_event(item_id, step, **fields)

    def _insert_event(
        self,
        item_id: str,
        step: ReviewStep,
        *,
        assist_event_id: str | None = None,
        point_index: int | None = None,
        mark: PointMark | None = None,
        at: str | None = None,
    ) -> None:
        review_log.insert_event(
            self.workspace.db,
            ReviewEvent(
                id=new_id(),
                evaluator_id=self.evaluator.id,
                study_item_id=item_id,
                step=step,
                at=at or now(),
                assist_event_id=assist_event_id,
                point_index=point_index,
                mark=mark,
            ),
        )
