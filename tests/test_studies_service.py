"""Study services: the demo study, item lists without ground truth, the next unjudged item."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from builders import record, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Kind, Verdict
from evalstudio.services import evaluators, judging, studies
from evalstudio.services.importing import import_tasks
from evalstudio.services.workspace import Workspace


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
    assert fields == {"item_id", "position", "task_prompt", "kind", "language", "candidate"}
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
    assert studies.next_item(workspace, study.id, ada.id) == items[0]
    judging.submit_verdict(workspace, items[0].item_id, ada.id, Verdict.ACCEPTABLE)
    judging.skip_item(workspace, items[1].item_id, ada.id, "cannot read Rust")
    judging.submit_verdict(workspace, items[3].item_id, ada.id, Verdict.FLAWED)
    assert studies.next_item(workspace, study.id, ada.id) == items[2]
    assert studies.next_item(workspace, study.id, bob.id) == items[0]
    judging.submit_verdict(workspace, items[2].item_id, ada.id, Verdict.FLAWED)
    assert studies.next_item(workspace, study.id, ada.id) is None


def test_skips_need_a_reason_and_evaluators_a_name(workspace: Workspace) -> None:
    with pytest.raises(EvalStudioError, match="needs a name"):
        evaluators.add_evaluator(workspace, "  ")
    with pytest.raises(EvalStudioError, match="needs a reason"):
        judging.skip_item(workspace, "item", "evaluator", " ")


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
    judged: set[int] = set()
    for step, index in enumerate(order):
        if step in checks:
            expected = min((i for i in range(8) if i not in judged), default=None)
            found = studies.next_item(workspace, study.id, evaluator.id)
            assert (found.position if found else None) == expected
        judging.submit_verdict(workspace, items[index].item_id, evaluator.id, Verdict.FLAWED)
        judged.add(index)
    assert studies.next_item(workspace, study.id, evaluator.id) is None
