"""The misleading assistant through the real model, and pre-generation that resumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.builders import pair, record, write_jsonl

from evalstudio.assist.critique import parse_critique
from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.misleading import HonestPoints, Misleading
from evalstudio.core.model import LineRange, Verdict
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.models.pregen import PregenProgress, pregenerate
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log

pytestmark = pytest.mark.model  # real inference: the model is the subject

# The numbers of points honest critiques list, as pre-generation would count them: here one
# for "flawed", none for "acceptable" (a manipulated critique lists as many).
ONE = HonestPoints(flawed=(1,), acceptable=(0,))


def _pair_items(workspace: Workspace, tmp_path: Path) -> tuple[str, str]:
    study = import_tasks(workspace, write_jsonl(tmp_path / "p.jsonl", pair("add")), "S").study
    correct, flawed = studies.study_items(workspace, study.id)
    return correct.item_id, flawed.item_id


@pytest.fixture
def greedy(workspace: Workspace, local_backend: LocalLlama) -> Iterator[Assistant]:
    """Temperature 0: the same answer every run. Sampled at 0.7, the flag test failed in 2 of
    about 40 runs (cause not captured; 0 failures in 80 direct requests), so these tests pin
    what the manipulation does rather than what a lucky sample does."""
    helper = Assistant(workspace, local_backend, ModelSettings(temperature=0.0))
    yield helper
    helper.stop_warming()


# Room for the longest claim the schema allows: at 200 tokens, 1 run in 12 was cut mid-claim.
def test_a_manipulated_critique_vouches_for_a_flawed_answer(
    greedy: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    _, flawed = _pair_items(workspace, tmp_path)
    event = greedy.request(
        flawed,
        AssistKind.CRITIQUE,
        evaluator_id=None,
        misleading=Misleading(p=1.0, seed="s", honest_points=ONE),
        max_tokens=512,
    ).wait()
    assert event.manipulated and event.outcome is Outcome.DONE
    assert parse_critique(event.response).verdict is Verdict.ACCEPTABLE
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["manipulation"] == "pass"
    assert "present the answer as correct" in row["messages"][-1]["content"]
    assert "present the answer" not in event.response  # the evaluator sees only the answer


def test_a_manipulated_critique_flags_a_line_of_a_correct_answer(
    greedy: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    correct, _ = _pair_items(workspace, tmp_path)
    event = greedy.request(
        correct,
        AssistKind.CRITIQUE,
        misleading=Misleading(p=1.0, seed="s", honest_points=ONE),
        max_tokens=512,
    ).wait()
    critique = parse_critique(event.response)
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["manipulation"] == "flag"
    assert critique.verdict is Verdict.FLAWED, event.response
    # The schema asks for an honest critique's number of points (here one), the first on a
    # real line.
    assert len(critique.points) == 1, event.response
    (point,) = critique.points
    assert point.lines is not None and point.lines.overlaps(LineRange(1, 2))


def test_with_p_zero_nothing_is_manipulated(
    assistant: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    _, flawed = _pair_items(workspace, tmp_path)
    event = assistant.request(
        flawed, AssistKind.EXPLAIN, misleading=Misleading(p=0.0, seed="s")
    ).wait()
    assert not event.manipulated
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["manipulation"] is None


def test_pregeneration_stores_responses_and_resumes_after_an_interrupt(
    assistant: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    records = [record(f"r{n}", prompt=f"Task {n}", candidate=f"v = {n}\n") for n in range(3)]
    study = import_tasks(workspace, write_jsonl(tmp_path / "t.jsonl", records), "S").study
    seen: list[PregenProgress] = []

    def interrupt_after_the_first(progress: PregenProgress) -> None:
        seen.append(progress)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pregenerate(
            assistant,
            study.id,
            [AssistKind.EXPLAIN],
            on_progress=interrupt_after_the_first,
            max_tokens=8,
        )
    assert seen[0].done == 1 and seen[0].total == 3 and seen[0].generated_tokens > 0
    report = pregenerate(assistant, study.id, [AssistKind.EXPLAIN], max_tokens=8)
    assert (report.generated, report.skipped, report.failed) == (2, 1, [])
    again = pregenerate(assistant, study.id, [AssistKind.EXPLAIN], max_tokens=8)
    assert (again.generated, again.skipped) == (0, 3)
    for item in studies.study_items(workspace, study.id):
        stored = assistant.stored(item.item_id, AssistKind.EXPLAIN)
        assert stored is not None and stored.pregenerated and stored.response
        assert assistant.stored(item.item_id, AssistKind.CRITIQUE) is None


def test_an_interrupt_mid_request_logs_it_as_cancelled(
    assistant: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    study = import_tasks(workspace, write_jsonl(tmp_path / "t.jsonl", [record("a")]), "S").study
    item = studies.study_items(workspace, study.id)[0].item_id
    run = assistant.request(item, AssistKind.EXPLAIN, pregenerated=True, max_tokens=300)
    with pytest.raises(KeyboardInterrupt):
        for _ in run:
            raise KeyboardInterrupt
    event = assist_log.event(workspace.db, run.event_id)
    assert event is not None and event.outcome is Outcome.CANCELLED
    assert assistant.stored(item, AssistKind.EXPLAIN) is None  # resumable: still missing
