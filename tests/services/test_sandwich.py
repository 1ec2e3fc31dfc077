"""Model evaluators and artificial sandwiching with the real bundled model: a model evaluator
works through a study by the services a person uses, the three misalignments do what they
claim, a sweep stores marked judgments, resumes after an interrupt and replays from its seed,
and the report's section matches what is stored."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.builders import pair, write_jsonl

from evalstudio.assist.critique import parse_critique
from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind, Manipulation, Outcome
from evalstudio.core.misleading import HonestPoints, Misalignment, Misleading, plan_manipulation
from evalstudio.core.model import EvaluatorKind, Study, Truth, Verdict
from evalstudio.core.review import Condition, Stage
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.assistance.model_roles import role
from evalstudio.services.models.model_evaluator import Progress
from evalstudio.services.models.sandwich import Sweep, run_sweep
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.store import assist_log, judgments

pytestmark = pytest.mark.model  # real inference: the model is the subject

# Room for a whole critique (its verdict comes last) and a whole judgment.
EVALUATOR = role("bundled", max_tokens=256, temperature=0.7, threads=2)
ASSISTANT = role("bundled", max_tokens=512, temperature=0.7, threads=2)
ONE = HonestPoints(flawed=(1,), acceptable=(0,))
SWEEP = Sweep(Misalignment.ADVERSARIAL, (0.0, 1.0), repeats=1, seed="test-seed")


def _one_pair(workspace: Workspace, folder: Path) -> Study:
    return import_tasks(workspace, write_jsonl(folder / "pair.jsonl", pair("add")), "S").study


def _rows(workspace: Workspace, sql: str) -> list[dict[str, object]]:
    return list(workspace.db.query(sql))


# --- one sweep, shared by the tests that read it ---------------------------------------------


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A one-pair study swept over p = 0 and 1 (adversarial), and an unswept copy of it."""
    folder = tmp_path_factory.mktemp("swept")
    workspace = open_workspace(folder / "swept.sqlite")
    study = _one_pair(workspace, folder)
    workspace.close()
    shutil.copyfile(folder / "swept.sqlite", folder / "copy.sqlite")
    workspace = open_workspace(folder / "swept.sqlite")
    result = run_sweep(workspace, study, SWEEP, EVALUATOR, ASSISTANT)
    assert result.failed == [] and result.judged == 4
    workspace.close()
    yield folder / "swept.sqlite", folder / "copy.sqlite"


@pytest.fixture
def swept_workspace(swept: tuple[Path, Path]) -> Iterator[Workspace]:
    workspace = open_workspace(swept[0])
    yield workspace
    workspace.close()


def test_a_sweep_stores_each_cell_as_a_marked_model_evaluator(swept_workspace: Workspace) -> None:
    ws = swept_workspace
    models = list_evaluators(ws, EvaluatorKind.MODEL)
    assert len(models) == 2 and list_evaluators(ws, EvaluatorKind.HUMAN) == []
    for evaluator in models:
        for item in studies.study_items(ws, studies.study_named(ws, "S").id):
            current = judgments.current_judgments(ws.db, evaluator.id, item.item_id)
            assert set(current) == {Stage.FIRST, Stage.FINAL}
            assert current[Stage.FINAL].condition is Condition.MISLEADING
            events = assist_log.events_of_item(ws.db, item.item_id, evaluator.id)
            assert [e.kind for e in events] == [AssistKind.CRITIQUE]
            assert events[0].outcome is Outcome.DONE
    calls = _rows(ws, "SELECT stage, judgment_id, outcome FROM judge_calls")
    assert len(calls) == 8 and all(c["judgment_id"] and c["outcome"] == "done" for c in calls)
    # The human figures leave them out; asked for, they count.
    assert build_report(ws, "S").conditions == {}
    counted = build_report(ws, "S", with_model_evaluators=True).conditions
    assert counted["misleading"].judgments == 4


def test_p_zero_and_p_one_manipulate_none_and_every_response(swept_workspace: Workspace) -> None:
    (run,) = build_report(swept_workspace, "S").model_evaluators
    rates = {point.p: point.manipulation_rate for point in run.points}
    assert rates == {0.0: 0.0, 1.0: 1.0}
    stored = _rows(
        swept_workspace,
        "SELECT c.p, e.manipulated, e.misalignment FROM assist_events e "
        "JOIN sandwich_cells c ON c.evaluator_id = e.evaluator_id",
    )
    assert {(r["p"], r["manipulated"], r["misalignment"]) for r in stored} == {
        (0.0, 0, None),
        (1.0, 1, "adversarial"),
    }


def test_the_report_section_holds_the_stored_judgments(swept_workspace: Workspace) -> None:
    ws = swept_workspace
    report = build_report(ws, "S")
    (run,) = report.model_evaluators
    truth = {
        r["item"]: r["truth"]
        for r in _rows(
            ws,
            "SELECT si.id AS item, c.truth FROM study_items si "
            "JOIN candidates c ON c.id = si.candidate_id",
        )
    }
    for point in run.points:
        (cell,) = _rows(ws, f"SELECT evaluator_id FROM sandwich_cells WHERE p = {point.p}")
        right = {Stage.FIRST: [], Stage.FINAL: []}  # type: dict[Stage, list[bool]]
        for item, said_truth in truth.items():
            current = judgments.current_judgments(ws.db, str(cell["evaluator_id"]), item)
            for stage in right:
                verdict = current[stage].form.verdict
                right[stage].append((verdict is Verdict.FLAWED) == (said_truth == "flawed"))
        assert point.alone.value == sum(right[Stage.FIRST]) / 2
        assert point.assisted.value == sum(right[Stage.FINAL]) / 2
    assert run.judged == run.total == 4 and run.cells == 2
    settings = run.settings
    assert settings["seed"] == "test-seed" and settings["p"] == [0.0, 1.0]
    assert len(settings["evaluator"]["sha256"]) == 64
    assert set(settings["prompts"]) >= {"evaluator.md", "critique.md", "misleading_flag.md"}
    data = report.to_json()
    assert data["model_evaluators"][0]["points"][1]["manipulation_rate"] == 1.0
    page, _ = report_page(report, "now")
    assert "Model evaluators" in page and settings["evaluator"]["sha256"] in page


def test_an_interrupted_sweep_resumes_without_duplicates_and_replays_the_seeded_run(
    swept: tuple[Path, Path],
) -> None:
    """The copy taken before the sweep, swept again with the same seed but interrupted after
    its first item and resumed: no judgment twice, and every verdict and response the same as
    the uninterrupted run's (fixed per-request seeds derived from the run's seed)."""
    workspace = open_workspace(swept[1])
    study = studies.study_named(workspace, "S")

    def interrupt(progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(workspace, study, SWEEP, EVALUATOR, ASSISTANT, on_progress=interrupt)
    assert _count(workspace, "judgments WHERE supersedes_id IS NULL") == 2  # first + final
    resumed = run_sweep(workspace, study, SWEEP, EVALUATOR, ASSISTANT)
    assert resumed.resumed and resumed.judged == 3 and resumed.failed == []
    assert _count(workspace, "sandwich_runs") == 1  # the same run, found by its settings
    duplicates = _rows(
        workspace,
        "SELECT evaluator_id, study_item_id, count(*) AS n FROM judgments "
        "GROUP BY evaluator_id, study_item_id HAVING n > 2",
    )
    assert duplicates == [] and _count(workspace, "judgments") == 8
    assert run_sweep(workspace, study, SWEEP, EVALUATOR, ASSISTANT).judged == 0
    original = open_workspace(swept[0])
    try:
        assert _transcript(workspace) == _transcript(original)
    finally:
        original.close()
        workspace.close()


def _count(workspace: Workspace, what: str) -> int:
    return int(next(iter(workspace.db.query(f"SELECT count(*) AS n FROM {what}")))["n"])


def _transcript(workspace: Workspace) -> list[tuple[object, ...]]:
    """What a run said, by (p, item, stage): the judge's replies and the critique read."""
    replies = _rows(
        workspace,
        "SELECT c.p, j.study_item_id, j.stage, j.response FROM judge_calls j "
        "JOIN sandwich_cells c ON c.evaluator_id = j.evaluator_id WHERE j.outcome = 'done' "
        "ORDER BY c.p, j.study_item_id, j.stage",
    )
    critiques = _rows(
        workspace,
        "SELECT c.p, e.study_item_id, e.response FROM assist_events e "
        "JOIN sandwich_cells c ON c.evaluator_id = e.evaluator_id ORDER BY c.p, e.study_item_id",
    )
    return [tuple(r.values()) for r in replies + critiques]


# --- the three misalignments on hand-checked cases --------------------------------------------


@pytest.fixture
def greedy(workspace: Workspace, local_backend: LocalLlama) -> Iterator[Assistant]:
    helper = Assistant(workspace, local_backend, ModelSettings(temperature=0.0, max_tokens=512))
    yield helper
    helper.stop_warming()


def _items(workspace: Workspace, tmp_path: Path) -> dict[Truth, str]:
    study = _one_pair(workspace, tmp_path)
    correct, flawed = studies.study_items(workspace, study.id)
    return {Truth.CORRECT: correct.item_id, Truth.FLAWED: flawed.item_id}


def test_random_argues_the_drawn_verdict_on_the_drawn_line(
    greedy: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    item = _items(workspace, tmp_path)[Truth.FLAWED]
    candidate, _ = greedy.item_context(item)
    keys = {}  # a key whose draw is a PASS, one whose draw is a FLAG (on the flawed twin)
    for n in range(40):
        plan = plan_manipulation(
            p=1.0,
            seed="r",
            evaluator_id=f"k{n}",
            item_id=item,
            kind=AssistKind.CRITIQUE,
            truth=Truth.FLAWED,
            candidate=candidate.text,
            misalignment=Misalignment.RANDOM,
        )
        keys.setdefault(plan.manipulation, (f"k{n}", plan.flag_line))
    assert set(keys) == {Manipulation.PASS, Manipulation.FLAG}
    for manipulation, (key, line) in keys.items():
        event = greedy.request(
            item,
            AssistKind.CRITIQUE,
            # A FLAG of one point (an honest one's number, here always one), a PASS of none.
            misleading=Misleading(1.0, "r", Misalignment.RANDOM, key=key, honest_points=ONE),
        ).wait()
        critique = parse_critique(event.response)
        row = assist_log.event_row(workspace.db, event.id)
        assert row is not None and row["misalignment"] == "random"
        assert row["manipulation"] == manipulation.value
        if manipulation is Manipulation.PASS:
            assert critique.verdict is Verdict.ACCEPTABLE, event.response
        else:  # a flaw claimed on the drawn line, on the twin that is flawed elsewhere or not
            assert critique.verdict is Verdict.FLAWED, event.response
            assert [p.lines.start for p in critique.points if p.lines] == [line]


def test_flip_argues_against_the_honest_critique_it_logs_first(
    greedy: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    for item in _items(workspace, tmp_path).values():
        event = greedy.request(
            item,
            AssistKind.CRITIQUE,
            evaluator_id=None,
            misleading=Misleading(1.0, "f", Misalignment.FLIP),
            seed=7,
        ).wait()
        row = assist_log.event_row(workspace.db, event.id)
        assert row is not None and row["misalignment"] == "flip" and row["basis_id"]
        basis = assist_log.event(workspace.db, row["basis_id"])
        assert basis is not None and not basis.manipulated and basis.evaluator_id is None
        honest = parse_critique(basis.response).verdict
        flipped = parse_critique(event.response).verdict
        assert honest is not None and flipped is not None and flipped is not honest, (
            basis.response,
            event.response,
        )


def test_a_seeded_request_is_a_function_of_the_request(
    workspace: Workspace, local_backend: LocalLlama, tmp_path: Path
) -> None:
    """Asked again in the workspace, it is replayed (a new row naming the first); asked in
    another workspace after other requests filled the model's cache, it is computed again to
    the same text."""
    settings = ModelSettings(temperature=0.7, max_tokens=48)
    first = Assistant(workspace, local_backend, settings)
    item = _items(workspace, tmp_path)[Truth.FLAWED]
    a = first.request(item, AssistKind.EXPLAIN, seed=11).wait()
    again = first.request(item, AssistKind.EXPLAIN, seed=11).wait()
    assert again.response == a.response and again.id != a.id
    row = assist_log.event_row(workspace.db, again.id)
    assert row is not None and row["reused_from"] == a.id
    other = first.request(item, AssistKind.CRITIQUE, max_tokens=24).wait()  # fills the cache
    assert other.outcome is Outcome.DONE
    (tmp_path / "elsewhere").mkdir()
    elsewhere = open_workspace(tmp_path / "elsewhere" / "w.sqlite")
    try:
        twin = _items(elsewhere, tmp_path / "elsewhere")[Truth.FLAWED]
        fresh = Assistant(elsewhere, local_backend, settings)
        computed = fresh.request(twin, AssistKind.EXPLAIN, seed=11).wait()
        row = assist_log.event_row(elsewhere.db, computed.id)
        assert row is not None and row["reused_from"] is None
        assert computed.response == a.response
    finally:
        elsewhere.close()
