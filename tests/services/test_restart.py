"""The review on screen is recorded in the workspace until the window leaves it in order: what
the next start reads to reopen an interrupted review."""

from __future__ import annotations

from evalstudio.core.model import Evaluator, Study
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review import restart
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import workspace_settings


def _open_third(workspace: Workspace) -> tuple[Study, Evaluator, str]:
    study = studies.ensure_demo_study(workspace)
    ada = evaluators.add_evaluator(workspace, "Ada")
    item = ReviewSession(workspace, study, ada).queue[2].item.item_id
    restart.record_open(workspace, study.id, ada.id, item)
    return study, ada, item


def test_an_open_review_is_found_with_when_its_draft_was_saved(workspace: Workspace) -> None:
    study, ada, item = _open_third(workspace)
    found = restart.interrupted(workspace)
    assert found is not None and found.draft_saved_at is None  # nothing typed yet
    assert (found.study.id, found.evaluator.id, found.item_id) == (study.id, ada.id, item)
    ReviewSession(workspace, study, ada).save_draft(item, Stage.FINAL, JudgmentForm())
    found = restart.interrupted(workspace)
    assert found is not None and found.draft_saved_at is not None


def test_a_review_left_in_order_is_not_found(workspace: Workspace) -> None:
    _open_third(workspace)
    restart.record_closed(workspace)
    assert restart.interrupted(workspace) is None


def test_an_unreadable_record_or_a_gone_evaluator_reopens_nothing(workspace: Workspace) -> None:
    _open_third(workspace)
    workspace_settings.put(workspace.db, "review_on_screen", "{not json")
    assert restart.interrupted(workspace) is None
    study = studies.ensure_demo_study(workspace)
    restart.record_open(workspace, study.id, "nobody", "no item")
    assert restart.interrupted(workspace) is None
