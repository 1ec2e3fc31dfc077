"""Study services: the demo study, item lists without ground truth, the next unjudged item."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.builders import record, write_jsonl

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import EvaluatorKind, Kind, Verdict
from evalstudio.core.model_evaluator import EvaluatorProfile, ModelRole
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.models.model_evaluator import add_model_evaluator
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace


def test_the_demo_study_imports_whole_and_only_once(workspace: Workspace) -> None:
    study = studies.ensure_demo_study(workspace)
    assert studies.ensure_demo_study(workspace).id == study.id
    (summary,) = studies.list_studies(workspace)
    assert summary.code_items >= 20 and summary.text_items >= 8
    assert summary.pairs >= 14
    assert "Guidelines" in study.guidelines


def test_items_an_evaluator_sees_carry_no_ground_truth(workspace: Workspace) -> None:
    study = studies.ensure_demo_study(workspace)
    items = studies.study_items(workspace, study.id)
    fields = {f.name for f in dataclasses.fields(items[0])}
    # has_reference: whether the task has one (which decides if Fact-check is offered on
    # code); the same for both twins of a pair, so it says nothing of a flaw. conversation:
    # the turns before a conversation candidate, its task's, shared by both twins too.
    # layout and sides: a compare or rank item's answers under opaque ids (both twins of a
    # pair shown together; tests/services/test_study_setup.py).
    assert fields == {
        "item_id",
        "position",
        "task_prompt",
        "kind",
        "language",
        "candidate",
        "has_reference",
        "conversation",
        "layout",
        "sides",
    }
    assert [i.position for i in items] == list(range(len(items)))
    assert {i.kind for i in items} == {Kind.CODE, Kind.TEXT}


def test_next_item_skips_what_this_evaluator_judged_or_skipped(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record(f"r{n}") for n in range(4)])
    study = import_tasks(workspace, path, "S").study
    ada = evaluators.add_evaluator(workspace, "Ada")
    bob = evaluators.add_evaluator(workspace, "Bob")
    items = studies.study_items(workspace, study.id)
    session = ReviewSession(workspace, study, ada)
    assert studies.next_item(workspace, study.id, ada.id) == items[0]
    session.submit(items[0].item_id, Stage.FINAL, _form(Verdict.ACCEPTABLE))
    session.skip(items[1].item_id, "cannot read Rust", active_ms=0)
    session.submit(items[3].item_id, Stage.FINAL, _form(Verdict.FLAWED))
    assert studies.next_item(workspace, study.id, ada.id) == items[2]
    assert studies.next_item(workspace, study.id, bob.id) == items[0]
    session.submit(items[2].item_id, Stage.FINAL, _form(Verdict.FLAWED))
    assert studies.next_item(workspace, study.id, ada.id) is None
    # An undo opens the item again, also for the next-item query's frontier.
    session.undo_last()
    assert studies.next_item(workspace, study.id, ada.id) == items[2]


def _form(verdict: Verdict) -> JudgmentForm:
    return JudgmentForm(verdict=verdict, quality=4, confidence=3)


def test_skips_need_a_reason_and_evaluators_a_name(workspace: Workspace) -> None:
    with pytest.raises(EvalStudioError, match="needs a name"):
        evaluators.add_evaluator(workspace, "  ")
    # SQLite's length() ends a text at a NUL: this one failed the table's CHECK, uncaught.
    with pytest.raises(EvalStudioError, match="may not hold a control character"):
        evaluators.add_evaluator(workspace, "\x00")
    ada = evaluators.add_evaluator(workspace, "Ada")
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0].item_id
    with pytest.raises(EvalStudioError, match="needs a reason"):
        ReviewSession(workspace, study, ada).skip(item, " ", active_ms=0)


def test_an_unknown_study_names_the_known_ones(workspace: Workspace) -> None:
    studies.ensure_demo_study(workspace)
    with pytest.raises(EvalStudioError, match=r"no study named 'Nope' \(studies: Demo study\)"):
        studies.study_named(workspace, "Nope")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(8)), checks=st.lists(st.integers(0, 8), max_size=8))
def test_next_item_is_always_the_first_unjudged_whatever_the_order_of_judging(
    workspace: Workspace, tmp_path: Path, order: list[int], checks: list[int]
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record(f"r{n}") for n in range(8)])
    study = import_tasks(workspace, path, f"S{len(studies.list_studies(workspace))}").study
    evaluator = evaluators.add_evaluator(workspace, "E")
    items = studies.study_items(workspace, study.id)
    session = ReviewSession(workspace, study, evaluator)
    judged: set[int] = set()
    for step, index in enumerate(order):
        if step in checks:
            expected = min((i for i in range(8) if i not in judged), default=None)
            found = studies.next_item(workspace, study.id, evaluator.id)
            assert (found.position if found else None) == expected
        session.submit(items[index].item_id, Stage.FINAL, _form(Verdict.FLAWED))
        judged.add(index)
    assert studies.next_item(workspace, study.id, evaluator.id) is None


def test_the_study_list_and_the_start_page_count_people_only(workspace: Workspace) -> None:
    """A sweep of model evaluators makes hundreds of judgments; the owner's study list counts
    people's, and the app offers people's profiles only."""
    study = studies.ensure_demo_study(workspace)
    ada = evaluators.add_evaluator(workspace, "Ada")
    judge = ModelRole("bundled", "local", "m", None, 0.7, 384)
    model = add_model_evaluator(workspace, "model", EvaluatorProfile(judge, None, {}, "s"))
    form = JudgmentForm(Verdict.FLAWED, quality=3, confidence=2)
    for who in (ada, model):
        session = ReviewSession(workspace, study, who)
        for entry in session.queue[:3]:
            session.submit(entry.item.item_id, Stage.FINAL, form)
    (summary,) = studies.list_studies(workspace)
    assert summary.judgments == 3
    assert evaluators.list_evaluators(workspace, EvaluatorKind.HUMAN) == [ada]
    assert len(evaluators.list_evaluators(workspace)) == 2
