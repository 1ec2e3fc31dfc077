"""The OpenAI-compatible backend against a real server: llama-cpp-python's own, started by the
test on 127.0.0.1 with the bundled model, and stopped by it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.builders import record, write_jsonl

from evalstudio.assist.backend import GenerationParams
from evalstudio.assist.critique import critique_schema, parse_critique
from evalstudio.assist.openai_http import OpenAICompatible, ServerSettings
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.model import EvaluatorKind, Study
from evalstudio.core.review import Condition
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.assistance.model_roles import role
from evalstudio.services.models.model_evaluator import judge_study
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.services.workspace.resources import bundled_model
from evalstudio.store import assist_log, model_evaluators


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    # The server logs a lot to stderr: into a file, since a full pipe would block it.
    log = tmp_path_factory.mktemp("server") / "server.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(bundled_model()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_threads",
            "2",
            "--n_ctx",
            "4096",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)  # polling a child process; nothing to wait on instead
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def http_backend(server_url: str) -> Iterator[OpenAICompatible]:
    backend = OpenAICompatible(ServerSettings(server_url))
    yield backend
    backend.close()


def test_it_streams_a_chat_completion(http_backend: OpenAICompatible) -> None:
    stream = http_backend.stream(
        [{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=16)
    )
    chunks = list(stream)
    assert stream.outcome is Outcome.DONE and stream.error is None
    assert len(chunks) > 1 and "".join(chunks).strip()


def test_it_asks_for_json_held_to_the_critique_schema(http_backend: OpenAICompatible) -> None:
    messages = [
        {"role": "system", "content": "Review: def f(x):\n    return x / 0"},
        {"role": "user", "content": "Critique it."},
    ]
    stream = http_backend.stream(
        messages,
        GenerationParams(max_tokens=200, seed=3, json_schema=critique_schema(max_points=2)),
    )
    text = "".join(stream)
    assert text.lstrip().startswith("{") and parse_critique(text).structured


def test_cancel_closes_the_stream(http_backend: OpenAICompatible) -> None:
    stream = http_backend.stream(
        [{"role": "user", "content": "Write a long story."}], GenerationParams(max_tokens=400)
    )
    received = []
    for chunk in stream:
        received.append(chunk)
        if len(received) == 3:
            stream.cancel()
    assert stream.outcome is Outcome.CANCELLED
    assert len(received) <= 4
    after = http_backend.stream([{"role": "user", "content": "Hi"}], GenerationParams(max_tokens=4))
    assert list(after) and after.outcome is Outcome.DONE


def test_yes_no_scores_come_from_the_servers_logprobs(http_backend: OpenAICompatible) -> None:
    scores = http_backend.score(
        [{"role": "user", "content": "Is water wet? Reply Yes or No."}], ["Yes", "No"]
    )
    assert scores.keys() == {"Yes", "No"}
    assert all(v <= 0 for v in scores.values())
    assert any(v > float("-inf") for v in scores.values())


def test_a_server_that_is_down_is_a_clear_logged_error(
    workspace: Workspace, tmp_path: object
) -> None:
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0].item_id
    url = f"http://127.0.0.1:{_free_port()}/v1"
    settings = ModelSettings(server=ServerSettings(url, connect_timeout=2))
    assistant = Assistant.start(workspace, settings)
    try:
        event = assistant.request(item, AssistKind.CRITIQUE).wait()
    finally:
        assistant.close()
    assert event.outcome is Outcome.ERROR
    assert event.error is not None and f"cannot reach the model server at {url}" in event.error
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["backend"] == "openai" and row["outcome"] == "error"


def test_the_assistant_logs_http_requests_like_local_ones(
    workspace: Workspace, demo_study: Study, server_url: str
) -> None:
    item = studies.study_items(workspace, demo_study.id)[0].item_id
    assistant = Assistant.start(
        workspace, ModelSettings(server=ServerSettings(server_url), max_tokens=24)
    )
    try:
        event = assistant.request(item, AssistKind.EXPLAIN).wait()
    finally:
        assistant.close()
    assert event.outcome is Outcome.DONE and event.response
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None
    assert row["backend"] == "openai" and row["model_sha256"] is None
    assert row["first_token_at"] is not None and row["seed"] is not None


def test_a_model_evaluator_can_judge_through_a_server(
    workspace: Workspace, server_url: str, tmp_path: Path
) -> None:
    """Any backend plays the evaluator: here its judgments come from the server (held to the
    judgment schema by the server's JSON mode), logged as judge calls like local ones."""
    records = [record("a", truth="correct"), record("b", truth="correct", prompt="Again.")]
    study = import_tasks(workspace, write_jsonl(tmp_path / "t.jsonl", records), "S").study
    over_http = role(f"{server_url}#bundled", max_tokens=256, temperature=0.7)
    local = role("bundled", max_tokens=64, temperature=0.7, threads=2)
    result = judge_study(
        workspace,
        study,
        "served",
        over_http,
        local,
        condition=Condition.UNASSISTED,
        assist_every=1,
        seed="http",
    )
    assert result.judged == 2 and result.failed == []
    calls = list(workspace.db.query("SELECT params, response, outcome FROM judge_calls"))
    assert len(calls) == 2 and {c["outcome"] for c in calls} == {"done"}
    (evaluator,) = list_evaluators(workspace, EvaluatorKind.MODEL)
    profile = model_evaluators.profile(workspace.db, evaluator.id)
    assert profile is not None and profile["judge"]["backend"] == "openai"
    assert profile["judge"]["sha256"] is None  # a server's model file is not ours to hash
