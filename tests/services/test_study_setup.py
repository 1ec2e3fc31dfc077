"""Studies from a definition file: checked field by field, created whole or not at all, and
blind for the evaluator."""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from pathlib import Path

import pytest
from support.builders import pair, record, write_jsonl
from support.comparison_study import comparison_study

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.review import Condition
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import (
    check_study_file,
    create_study,
    overview,
    overview_text,
)
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.services.workspace.resources import demo_dir
from evalstudio.store import assignments, content

DEFINITION = """
name = "Trial"
tasks = "tasks.jsonl"
guidelines = "guidelines.md"
seed = "s1"
evaluators = ["Ada", "Grace", "Linus", "Barbara"]
conditions = ["unassisted", "assisted"]
gold_rate = 0.05
"""


def _study_file(folder: Path, text: str = DEFINITION) -> Path:
    shutil.copy(demo_dir() / "tasks.jsonl", folder / "tasks.jsonl")
    shutil.copy(demo_dir() / "guidelines.md", folder / "guidelines.md")
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _tables(workspace: Workspace) -> dict[str, int]:
    names = ("studies", "evaluators", "assignments", "study_designs", "study_items")
    return {name: workspace.db[name].count for name in names}


def test_create_makes_the_study_its_evaluators_and_their_queues(
    workspace: Workspace, tmp_path: Path
) -> None:
    found = create_study(workspace, _study_file(tmp_path))
    assert found.items == 42 and found.pairs == 20 and found.gold == 2
    assert set(found.queue_sizes) == {"Ada", "Grace", "Linus", "Barbara"}
    assert all(size == 21 for size in found.queue_sizes.values())  # 20 twins + 1 gold
    assert all(0.45 <= share <= 0.55 for share in found.flawed_share.values())
    study = studies.study_named(workspace, "Trial")
    assert study.guidelines.startswith("# Guidelines")
    items = {v.item_id for v in studies.study_items(workspace, study.id)}
    for evaluator in evaluators.list_evaluators(workspace):
        queue = assignments.assigned(workspace.db, study.id, evaluator.id)
        assert {item for item, _ in queue} <= items
        conditions = Counter(condition for _, condition in queue)
        assert abs(conditions[Condition.UNASSISTED] - conditions[Condition.ASSISTED]) <= 1
    assert found.power is not None and found.power.flawed_per_condition == 20.0
    # The same plan simulated (4 evaluators × 20 pairs): power at 27% → 40.5% is low.
    assert found.simulated is not None and found.simulated.studies == 400
    assert 0.0 < found.simulated.power < 0.5 and found.target == pytest.approx(0.405)
    assert "Power by simulation of this plan (400 simulated studies" in overview_text(found)


def test_validate_shows_the_plan_and_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    before = _tables(workspace)
    found = check_study_file(workspace, _study_file(tmp_path))
    assert found.study.name == "Trial" and len(found.queue_sizes) == 4
    assert _tables(workspace) == before


def test_the_same_file_makes_the_same_plan(workspace: Workspace, tmp_path: Path) -> None:
    path = _study_file(tmp_path)
    first = check_study_file(workspace, path)
    create_study(workspace, path)
    study = studies.study_named(workspace, "Trial")
    ada = next(e for e in evaluators.list_evaluators(workspace) if e.name == "Ada")
    queue = assignments.assigned(workspace.db, study.id, ada.id)
    assert len(queue) == first.queue_sizes["Ada"]
    # A second workspace, same file: the same twins in the same order under the same conditions.
    other = open_workspace(tmp_path / "other.sqlite")
    create_study(other, path)
    other_study = studies.study_named(other, "Trial")
    other_ada = next(e for e in evaluators.list_evaluators(other) if e.name == "Ada")

    def external(ws: Workspace, study_id: str, evaluator_id: str) -> list[tuple[str, Condition]]:
        views = {
            row["id"]: row["external_id"]
            for row in ws.db.query("SELECT id, external_id FROM study_items")
        }
        return [(views[i], c) for i, c in assignments.assigned(ws.db, study_id, evaluator_id)]

    assert external(workspace, study.id, ada.id) == external(other, other_study.id, other_ada.id)
    other.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'\nseed = 1\ntasks = 'tasks.jsonl'\nevaluators = [", "not valid TOML"),
        (DEFINITION + "colour = 'blue'\n", "colour: unknown field"),
        (DEFINITION.replace('["unassisted", "assisted"]', '["helped"]'), "'helped' is not one"),
        (DEFINITION.replace('"Grace"', '"Ada"'), "listed twice: Ada"),
        (DEFINITION.replace("gold_rate = 0.05", "gold_rate = 1.5"), "gold_rate: 1.5 is not in"),
        (DEFINITION.replace('seed = "s1"', ""), "seed: is required"),
        (DEFINITION.replace('"tasks.jsonl"', '"missing.jsonl"'), "tasks: no file"),
        (DEFINITION + "judgments_per_pair = 9\n", "more than the 4 evaluators"),
    ],
)
def test_a_bad_definition_is_refused_with_the_key_and_nothing_is_written(
    workspace: Workspace, tmp_path: Path, text: str, message: str
) -> None:
    before = _tables(workspace)
    with pytest.raises(EvalStudioError, match=message) as info:
        create_study(workspace, _study_file(tmp_path, text))
    assert str(tmp_path / "study.toml") in str(info.value)
    assert _tables(workspace) == before


def test_a_bad_task_row_leaves_no_study_and_no_evaluators(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = _study_file(tmp_path)
    write_jsonl(tmp_path / "tasks.jsonl", [record("a"), record("b", kind="poem")])
    before = _tables(workspace)
    with pytest.raises(EvalStudioError, match="nothing imported"):
        create_study(workspace, path)
    assert _tables(workspace) == before


def test_an_existing_study_name_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = _study_file(tmp_path)
    create_study(workspace, path)
    with pytest.raises(EvalStudioError, match="exists already"):
        create_study(workspace, path)
    assert overview(workspace, "Trial").study.name == "Trial"


def test_the_evaluator_s_session_carries_no_ground_truth(
    workspace: Workspace, tmp_path: Path
) -> None:
    create_study(workspace, _study_file(tmp_path))
    study = studies.study_named(workspace, "Trial")
    ada = next(e for e in evaluators.list_evaluators(workspace) if e.name == "Ada")
    session = ReviewSession(workspace, study, ada)
    entry = session.queue[0]
    assert {f.name for f in dataclasses.fields(entry)} == {"item", "condition"}
    assert {f.name for f in dataclasses.fields(entry.item)} == {
        "item_id",
        "position",
        "task_prompt",
        "kind",
        "language",
        "candidate",
        "has_reference",  # the task's, the same for both twins: it says nothing of a flaw
        "conversation",  # the task's earlier turns, shared by both twins likewise
        "layout",  # single, compare or rank: the study's, the same for both twins
        # A compare item's answers: both twins, on sides the plan counterbalances, named by
        # ids derived under the study's secret (tests/store/test_attack_ids.py).
        "sides",
    }
    # Nothing an evaluator is shown names a twin, a flaw or a gold item.
    planted = [
        c.flaw.description for c in content.candidates_of_study(workspace.db, study.id) if c.flaw
    ]
    shown = " ".join(e.item.task_prompt + e.item.candidate for e in session.queue)
    assert not any(description in shown for description in planted)
    assert "gold" not in repr(session.queue).lower() and "truth" not in repr(session.queue)


# --- found by test_study_fuzz.py ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEFINITION + "x = " + "9" * 5000 + "\n", "holds a number of more than 4,300 digits"),
        (DEFINITION + "x = " + "[" * 5000 + "\n", "is nested too deeply to read"),
        (DEFINITION.replace('"guidelines.md"', '"latin1.md"'), r"guidelines: .*\.md: not UTF-8"),
        (DEFINITION.replace('"tasks.jsonl"', f'"{"t" * 300}.jsonl"'), "tasks: .*name too long"),
        (DEFINITION.replace('"Trial"', '"\\u0000"'), "name: holds a control character"),
        (DEFINITION.replace('"Ada"', '"Ada\\u0000"'), "evaluators: a name holds a control char"),
    ],
)
def test_a_definition_past_what_python_or_sqlite_take_is_refused_not_a_crash(
    workspace: Workspace, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "latin1.md").write_bytes("Lisez tout, même ça".encode("latin-1"))
    before = _tables(workspace)
    with pytest.raises(EvalStudioError, match=message) as info:
        create_study(workspace, _study_file(tmp_path, text))
    assert info.value.where == str(tmp_path / "study.toml")
    assert _tables(workspace) == before


def test_a_folder_given_as_the_study_file_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(EvalStudioError, match="cannot be read: Is a directory"):
        check_study_file(workspace, tmp_path)


# A simulated study without flawed twins in a condition has no rate there: numpy warns.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "options",
    [
        "expected_detection = 0.0\n",  # a 0% rate had no logit intercept: the simulation raised
        "judgments_per_pair = 1\n",  # one judgment of one pair: maybe no flawed twin at all
    ],
)
def test_a_design_at_the_edge_of_its_ranges_is_created(
    workspace: Workspace, tmp_path: Path, options: str
) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", pair("p"))
    path = tmp_path / "study.toml"
    path.write_text(
        f'name = "Edge"\ntasks = "tasks.jsonl"\nseed = 2\nevaluators = ["Ada", "Bob"]\n{options}',
        encoding="utf-8",
    )
    found = create_study(workspace, path)
    assert found.simulated is not None and 0 <= found.simulated.power <= 1


def test_pairs_shown_as_compare_items_count_every_judgment_for_power(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Ada and Bob, 2 pairs each as compare items, 2 conditions: 2 · 2 / 2 = 2 comparisons
    of pairs per condition (shown alone, half would be flawed twins: 1). Too few for any rise;
    the simulator, which deals twins one at a time, is not run for them."""
    study = comparison_study(workspace, tmp_path)
    found = overview(workspace, study.name)
    assert found.power is not None and found.power.flawed_per_condition == 2.0
    assert found.simulated is None
    assert "from a 27% share of comparisons picking the correct twin" in overview_text(found)
