"""An evaluator's progress through each study, for the start page: items done of their queue,
and when they last worked on it."""

from __future__ import annotations

from dataclasses import dataclass

from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import judgments, progress, studies


@dataclass(frozen=True)
class StudyProgress:
    done: int  # items with a current final judgment or skip
    total: int  # items in the evaluator's queue
    last_worked: str | None  # UTC, ISO 8601; None: never opened an item of it

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done >= self.total


def progress_by_study(workspace: Workspace, evaluator_id: str) -> dict[str, StudyProgress]:
    """Each study's progress for the evaluator, by study id."""
    db = workspace.db
    found: dict[str, StudyProgress] = {}
    for summary in studies.study_summaries(db):
        study_id = summary.study.id
        queue = progress.queue_ids(db, study_id, evaluator_id)
        done = judgments.done_items(db, study_id, evaluator_id) & queue
        found[study_id] = StudyProgress(
            len(done), len(queue), progress.last_worked(db, study_id, evaluator_id)
        )
    return found
