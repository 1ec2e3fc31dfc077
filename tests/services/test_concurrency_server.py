"""A model evaluator with many requests in flight against real batching servers: llama.cpp's
own llama-server (`make llama-server`) with the bundled model and several slots, started on
127.0.0.1 by these tests and stopped after them. The same run at concurrency 1 and 4 stores
the same judgments and texts; Ctrl+C logs every request in flight as cancelled and the run
resumes; a server killed mid-run leaves its requests to the other; the log names each
server that answered."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.builders import pair, write_jsonl
from support.llama_server import LlamaServer, llama_server, missing_reason

from evalstudio.core.review import Condition
from evalstudio.services.assistance.model_roles import Role, role
from evalstudio.services.models.model_evaluator import RunResult, judge_study
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace, open_workspace

pytestmark = [
    pytest.mark.model,  # real inference, through the server
    pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or ""),
]

EVALUATOR_TOKENS, ASSISTANT_TOKENS = 256, 256


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with llama_server(tmp_path_factory.mktemp("server") / "server.log", slots=4) as running:
        yield running


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a two-item study (one pair), copied by each test that runs it."""
    folder = tmp_path_factory.mktemp("study")
    workspace = open_workspace(folder / "study.sqlite")
    records = pair("add")
    import_tasks(workspace, write_jsonl(folder / "pairs.jsonl", records), "S")
    workspace.close()
    return folder / "study.sqlite"


def _copy(study_file: Path, folder: Path, name: str) -> Workspace:
    shutil.copyfile(study_file, folder / name)
    return open_workspace(folder / name)


def _roles(spec: str, concurrency: int) -> tuple[Role, Role]:
    return (
        role(spec, max_tokens=EVALUATOR_TOKENS, temperature=0.7, concurrency=concurrency),
        role(spec, max_tokens=ASSISTANT_TOKENS, temperature=0.7, concurrency=concurrency),
    )


def _judge(workspace: Workspace, spec: str, concurrency: int) -> RunResult:
    judge, assistant = _roles(spec, concurrency)
    return judge_study(
        workspace,
        studies.study_named(workspace, "S"),
        "model",
        judge,
        assistant,
        condition=Condition.ASSISTED,
        assist_every=1,
        seed="concurrency",
    )


def _stored(workspace: Workspace) -> dict[str, list[tuple[object, ...]]]:
    """What a run stored, in an order that does not depend on which request ended first."""
    db = workspace.db
    return {
        "judgments": sorted(
            db.execute(
                "SELECT study_item_id, stage, verdict, confidence, quality FROM judgments"
            ).fetchall()
        ),
        "judge calls": sorted(
            db.execute(
                "SELECT study_item_id, stage, seed, response FROM judge_calls "
                "WHERE outcome = 'done'"
            ).fetchall()
        ),
        "critiques": sorted(
            db.execute(
                "SELECT study_item_id, seed, response FROM assist_events WHERE outcome = 'done'"
            ).fetchall()
        ),
    }


def _served_by(workspace: Workspace) -> set[str]:
    rows = workspace.db.execute(
        "SELECT served_by FROM judge_calls UNION SELECT served_by FROM assist_events"
    ).fetchall()
    return {r[0] for r in rows if r[0] is not None}


def test_concurrency_four_stores_what_concurrency_one_stores(
    server: LlamaServer, study_file: Path, tmp_path: Path
) -> None:
    one = _copy(study_file, tmp_path, "one.sqlite")
    four = _copy(study_file, tmp_path, "four.sqlite")
    try:
        assert _judge(one, server.url, 1).failed == []
        assert _judge(four, server.url, 4).failed == []
        assert _stored(four) == _stored(one)
        assert len(_stored(one)["judgments"]) == 4  # a first and a final verdict per item
        assert _served_by(four) == {server.url}
    finally:
        one.close()
        four.close()


def test_ctrl_c_logs_every_request_in_flight_as_cancelled_and_the_run_resumes(
    server: LlamaServer, study_file: Path, tmp_path: Path
) -> None:
    workspace = _copy(study_file, tmp_path, "interrupted.sqlite")
    # Ctrl+C once the server is generating both items' first requests (a fixed delay raced the
    # run: on a quiet machine it ended first, and the late signal hit the next test).
    done = threading.Event()

    def interrupt_when_both_in_flight() -> None:
        while not done.wait(0.05):
            if _busy_slots(server) >= 2:
                os.kill(os.getpid(), signal.SIGINT)
                return

    timer = threading.Thread(target=interrupt_when_both_in_flight, daemon=True)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _judge(workspace, server.url, 4)
        db = workspace.db
        cancelled = db.execute(
            "SELECT (SELECT count(*) FROM judge_calls WHERE outcome = 'cancelled') "
            "+ (SELECT count(*) FROM assist_events WHERE outcome = 'cancelled')"
        ).fetchone()[0]
        running = db.execute(
            "SELECT count(*) FROM assist_events WHERE outcome = 'running'"
        ).fetchone()[0]
        assert cancelled == 2 and running == 0  # both items' requests; none left open
        resumed = _judge(workspace, server.url, 4)  # the cancelled requests are asked again
        assert resumed.failed == [] and resumed.judged == 2
        judged = db.execute(
            "SELECT count(DISTINCT study_item_id) FROM judgments WHERE stage = 'final'"
        ).fetchone()[0]
        assert judged == 2
    finally:
        done.set()
        timer.join()
        workspace.close()


def _busy_slots(server: LlamaServer) -> int:
    """How many of the server's slots are generating (its /slots monitoring endpoint)."""
    try:
        slots = httpx.get(server.url.removesuffix("/v1") + "/slots", timeout=2).json()
    except httpx.HTTPError:
        return 0
    return sum(1 for slot in slots if isinstance(slot, dict) and slot.get("is_processing"))


def test_a_server_killed_mid_run_leaves_its_requests_to_the_other_and_both_are_named(
    study_file: Path, tmp_path: Path
) -> None:
    # One thread each: two servers of two threads on two cores spin against each other
    # (llama.cpp's threads busy-wait), which made this test ten times slower.
    with (
        llama_server(tmp_path / "a.log", slots=2, threads=1) as a,
        llama_server(tmp_path / "b.log", slots=2, threads=1) as b,
    ):
        both = _copy(study_file, tmp_path, "both.sqlite")
        try:
            assert _judge(both, f"{a.url},{b.url}", 4).failed == []
            assert _served_by(both) == {a.url, b.url}  # the least busy: both got work
            expected = _stored(both)
        finally:
            both.close()

        workspace = _copy(study_file, tmp_path, "killed.sqlite")
        killer = threading.Timer(3.0, a.kill)
        killer.start()
        try:
            result = _judge(workspace, f"{a.url},{b.url}", 4)
            assert not killer.is_alive() and a.process is not None
            assert a.process.poll() is not None  # it was killed while the run went on
            assert result.failed == [] and result.judged == 2
            assert _stored(workspace) == expected
        finally:
            killer.cancel()
            workspace.close()
