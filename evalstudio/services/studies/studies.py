"""Studies: the list with counts, one study's items as an evaluator sees them, the demo study."""

from __future__ import annotations

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import ItemView, Study, StudySummary
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace
from evalstudio.services.workspace.resources import demo_comparisons_file, demo_dir
from evalstudio.store import content, studies

DEMO_STUDY = "Demo study"
DEMO_COMPARISONS = "Demo comparisons"


def list_studies(workspace: Workspace) -> list[StudySummary]:
    return studies.study_summaries(workspace.db)


def study_named(workspace: Workspace, name: str) -> Study:
    study = studies.study_by_name(workspace.db, name)
    if study is None:
        known = ", ".join(s.study.name for s in list_studies(workspace)) or "none yet"
        raise EvalStudioError(f"no study named '{name}' (studies: {known})")
    return study


def study_items(workspace: Workspace, study_id: str) -> list[ItemView]:
    """The study's items in order, without ground truth (what an evaluator may see)."""
    return content.item_views(workspace.db, study_id)


def next_item(workspace: Workspace, study_id: str, evaluator_id: str) -> ItemView | None:
    """The first item the evaluator has not judged or skipped yet; None when all are done."""
    return content.next_unjudged_item(workspace.db, study_id, evaluator_id)


def ensure_demo_study(workspace: Workspace) -> Study:
    """The demo study shipped in resources/demo, imported on first use."""
    existing = studies.study_by_name(workspace.db, DEMO_STUDY)
    if existing is not None:
        return existing
    folder = demo_dir()
    guidelines = (folder / "guidelines.md").read_text(encoding="utf-8")
    return import_tasks(workspace, folder / "tasks.jsonl", DEMO_STUDY, guidelines=guidelines).study


def ensure_demo_comparisons(workspace: Workspace) -> Study:
    """The demo comparison study shipped in resources/demo-compare, created on first use (with
    its evaluators Ada and Bob, whose queues its plan counterbalances)."""
    existing = studies.study_by_name(workspace.db, DEMO_COMPARISONS)
    if existing is not None:
        return existing
    return create_study(workspace, demo_comparisons_file()).study
