"""A hostile OpenAI-compatible server against the HTTP backend (issue 17): whatever it sends —
JSON nested past the recursion limit, numbers where text belongs, counts past any integer
column, an endless trickle, an answer or an error body of 20 MB, an answer cut off — the
request ends in a clear error naming the server, within its deadline and in bounded memory,
and its log row ends `error` with the message. The servers are real HTTP servers on
127.0.0.1, started and stopped by the tests."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from support.builders import record, write_jsonl
from support.fuzz_settings import FUZZ
from support.http_servers import Reply, serving, sse

from evalstudio.assist.backend import AssistError, GenerationParams, Message, ModelInfo, Stream
from evalstudio.assist.openai_http import OpenAICompatible, ServerSettings
from evalstudio.cli.main import main
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings, model_settings
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log

HANG = 5.0  # a request still running after this long is hung: every deadline here is 1 s
MB = 1 << 20
BLOCK = b"x" * (64 << 10)  # written again and again: the server allocates nothing per block


@dataclass(frozen=True)
class Asked:
    """One request's log row, how long it took and the peak of Python memory meanwhile."""

    row: dict[str, Any]
    seconds: float
    peak: int


def _ask(workspace: Workspace, url: str, *, max_tokens: int = 512) -> Asked:
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0].item_id
    server = ServerSettings(url, connect_timeout=2, read_timeout=1, deadline=1)
    assistant = Assistant.start(workspace, ModelSettings(server=server, max_tokens=max_tokens))
    tracemalloc.start()
    started = time.monotonic()
    run = assistant.request(item, AssistKind.EXPLAIN)
    if not run.stream.wait(HANG):
        tracemalloc.stop()
        # Not closed: closing waits for the worker, which the server's teardown frees.
        pytest.fail(f"the request still runs after {HANG} s")
    try:
        event = run.wait()
    finally:
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assistant.close()
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None
    return Asked(row, seconds, peak)


def _assert_refused(asked: Asked, url: str, what: str) -> None:
    row = asked.row
    assert row["outcome"] == "error" and row["ended_at"] is not None, row
    assert url in row["error"] and what in row["error"], row["error"]
    assert "Traceback" not in row["error"] and len(row["error"]) < 1000
    assert asked.seconds < HANG


def _chunk(content: Any = None, usage: Any = None, finish: str | None = None) -> str:
    data: dict[str, Any] = {"choices": [{"index": 0, "delta": {"content": content}}]}
    if finish is not None:
        data["choices"][0]["finish_reason"] = finish
    if usage is not None:
        data["usage"] = usage
    return json.dumps(data)


# --- JSON of the wrong depth or type ------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"choices": [{"delta": {"content": ' + "[" * 100_000 + "]" * 100_000 + "}}]}",
        '{"error": ' + '{"message": ' * 100_000 + '"x"' + "}" * 100_000 + "}",
    ],
    ids=["bare", "in the content", "in the error"],
)
def test_json_nested_100000_deep_is_refused_not_hung(workspace: Workspace, event: str) -> None:
    with serving(lambda h: sse(h, event, "[DONE]")) as url:
        asked = _ask(workspace, url)
    _assert_refused(asked, url, "sent a malformed event")


WRONG = {
    "NaN as the text": ('{"choices": [{"delta": {"content": NaN}}]}', "not JSON"),
    "Infinity as a count": ('{"usage": {"prompt_tokens": Infinity}}', "not JSON"),
    "a number as the text": (_chunk(5), "content is not text"),
    "a list as the text": (_chunk(["a"]), "content is not text"),
    "a count of 2**70": (_chunk("a", {"completion_tokens": 2**70}), "completion_tokens"),
    "a count that is a list": (_chunk("a", {"prompt_tokens": [1]}), "prompt_tokens"),
    "a count that is text": (_chunk("a", {"prompt_tokens": "many"}), "prompt_tokens"),
    "a negative count": (_chunk("a", {"completion_tokens": -5}), "completion_tokens"),
    "a count of true": (_chunk("a", {"completion_tokens": True}), "completion_tokens"),
    "usage that is a list": (_chunk("a", [1, 2]), "usage is not a JSON object"),
    "a delta that is text": ('{"choices": [{"delta": "a"}]}', "delta is not a JSON object"),
    "a finish_reason that is a number": (
        '{"choices": [{"delta": {"content": "a"}, "finish_reason": 1}]}',
        "finish_reason is not text",
    ),
    "an event that is a list": ("[1, 2]", "not a JSON object"),
    "an error that is a number": ('{"error": 7}', "reported an error"),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_a_field_of_the_wrong_type_is_a_clear_logged_error(workspace: Workspace, name: str) -> None:
    event, what = WRONG[name]
    with serving(
        lambda h: sse(h, _chunk("fine "), event, _chunk(None, finish="stop"), "[DONE]")
    ) as url:
        asked = _ask(workspace, url)
    _assert_refused(asked, url, what)


# --- size -------------------------------------------------------------------------------


def _stream_forever(handler: BaseHTTPRequestHandler, total: int, framed: bool) -> None:
    """`total` bytes of answer, written lazily: as 64 KiB events, or as one line that never
    ends (a single event of `total` bytes)."""
    sse(handler)
    event = b'data: {"choices": [{"delta": {"content": "' + BLOCK + b'"}}]}\n\n'
    if not framed:
        handler.wfile.write(b'data: {"choices": [{"delta": {"content": "')
    sent = 0
    while sent < total:
        handler.wfile.write(event if framed else BLOCK)
        sent += len(BLOCK)


@pytest.mark.parametrize("framed", [True, False], ids=["64 KiB events", "one endless line"])
def test_a_20_mb_answer_is_cut_at_the_bound_of_max_tokens(
    workspace: Workspace, framed: bool
) -> None:
    with serving(lambda h: _stream_forever(h, 20 * MB, framed)) as url:
        asked = _ask(workspace, url, max_tokens=512)
    _assert_refused(asked, url, "512 tokens")
    assert len(asked.row["response"]) <= 512 * 64
    assert asked.peak < 12 * MB, asked.peak


def _huge_error(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(500)
    handler.send_header("Content-Length", str(20 * MB))
    handler.end_headers()
    for _ in range(20 * MB // len(BLOCK)):
        handler.wfile.write(BLOCK)


def test_a_20_mb_error_body_is_read_only_as_far_as_the_message_needs(
    workspace: Workspace,
) -> None:
    with serving(_huge_error) as url:
        asked = _ask(workspace, url)
    _assert_refused(asked, url, "answered 500: xxxx")
    assert asked.peak < 2 * MB, asked.peak


# --- time -------------------------------------------------------------------------------


def _keep_alive(stop: threading.Event) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        sse(handler)
        while not stop.wait(0.05):  # a comment well within the read timeout, forever
            handler.wfile.write(b": keep-alive\n\n")
            handler.wfile.flush()

    return reply


def _trickled_headers(stop: threading.Event) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.05):  # headers that never end
            handler.wfile.write(b"X-Wait: 1\r\n")
            handler.wfile.flush()

    return reply


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.mark.parametrize("endless", [_keep_alive, _trickled_headers], ids=["comments", "headers"])
def test_an_endless_trickle_ends_at_the_deadline(
    workspace: Workspace, stop: threading.Event, endless: Any
) -> None:
    with serving(endless(stop)) as url:
        asked = _ask(workspace, url)
        stop.set()
    _assert_refused(asked, url, "did not finish within the deadline of 1 s")
    assert 0.9 < asked.seconds < 2.5


def test_the_deadline_is_a_cli_option(tmp_path: Path, stop: threading.Event) -> None:
    db = ["--db", str(tmp_path / "ws.sqlite")]
    runner = CliRunner()
    path = write_jsonl(tmp_path / "t.jsonl", [record("a")])
    assert runner.invoke(main, [*db, "import", str(path), "--study", "S"]).exit_code == 0
    with serving(_keep_alive(stop)) as url:
        started = time.monotonic()
        args = [*db, "assist", "--study", "S", "--item", "1", "--server", url]
        result = runner.invoke(main, [*args, "--server-deadline", "1"])
        seconds = time.monotonic() - started
        stop.set()
    assert result.exit_code == 1 and seconds < HANG
    assert f"the model server at {url}/ did not finish within the deadline of 1 s" in (
        result.output
    )
    settings = model_settings(server=url, server_deadline=30)
    assert settings.server is not None and settings.server.deadline == 30


# --- a cut answer -------------------------------------------------------------------------


def _close_delimited(handler: BaseHTTPRequestHandler) -> None:
    sse(handler, _chunk("The first half of "), _chunk("an answer"))  # then the server hangs up


def _short_of_its_length(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(f"data: {_chunk('The first half')}\n\n".encode())


def _chunked_unfinished(handler: BaseHTTPRequestHandler) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    event = f"data: {_chunk('The first half')}\n\n".encode()
    handler.wfile.write(head + b"\r\n" + f"{len(event):x}\r\n".encode() + event + b"\r\n")


@pytest.mark.parametrize(
    "reply",
    [_close_delimited, _short_of_its_length, _chunked_unfinished],
    ids=["no framing", "content-length", "chunked"],
)
def test_a_connection_closed_mid_answer_is_an_error_not_a_cut_answer(
    workspace: Workspace, reply: Reply
) -> None:
    with serving(reply) as url:
        asked = _ask(workspace, url)
    _assert_refused(asked, url, "closed the connection mid-answer")
    assert asked.row["response"].startswith("The first half")  # kept, as the error says


def test_an_answer_with_a_finish_reason_needs_no_done_marker(workspace: Workspace) -> None:
    with serving(lambda h: sse(h, _chunk("All "), _chunk("of it", finish="stop"))) as url:
        asked = _ask(workspace, url)
    assert asked.row["outcome"] == "done" and asked.row["response"] == "All of it"


# --- the yes/no score ---------------------------------------------------------------------


def _logprob(value: str) -> str:
    top = '[{"token": "Yes", "logprob": ' + value + "}]"
    return '{"choices": [{"logprobs": {"content": [{"top_logprobs": ' + top + "}]}}]}"


def _json_answer(body: str | None) -> Reply:
    """A plain JSON answer: `body`, or 20 MB of it written lazily when None."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(20 * MB if body is None else len(body)))
        handler.end_headers()
        if body is not None:
            handler.wfile.write(body.encode())
            return
        for _ in range(20 * MB // len(BLOCK)):
            handler.wfile.write(BLOCK)

    return reply


SCORES = {
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "JSON nested too deep"),
    "NaN": (_logprob("NaN"), "not JSON"),
    "text": (_logprob('"-0.5"'), "not a log-probability"),
    "-1e400": (_logprob("-1e400"), "not a log-probability"),
    "-10**5000": (_logprob("-1" + "0" * 5000), "not JSON"),
    "20 MB": (None, "bytes for a one-token answer"),
}


@pytest.mark.parametrize("name", list(SCORES))
def test_a_hostile_score_answer_is_a_clear_error(name: str) -> None:
    body, what = SCORES[name]
    with serving(_json_answer(body)) as url:
        backend = OpenAICompatible(ServerSettings(url, read_timeout=1, deadline=1))
        tracemalloc.start()
        try:
            with pytest.raises(AssistError) as info:
                backend.score([{"role": "user", "content": "Yes or No?"}], ["Yes", "No"])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            backend.close()
    assert url in str(info.value) and what in str(info.value), info.value
    assert peak < 8 * MB, peak


def test_a_well_formed_score_answer_still_scores() -> None:
    with serving(_json_answer(_logprob("-0.25"))) as url:
        backend = OpenAICompatible(ServerSettings(url, read_timeout=1, deadline=1))
        try:
            scores = backend.score([{"role": "user", "content": "Yes or No?"}], ["Yes", "No"])
        finally:
            backend.close()
    assert scores == {"Yes": -0.25, "No": float("-inf")}


# --- whatever else fails ------------------------------------------------------------------


class _Overcounting:
    """A backend whose finished answer carries a token count no INTEGER column holds: what a
    backend that missed a check would hand the log."""

    def info(self) -> ModelInfo:
        return ModelInfo("openai", "overcounting", "http://127.0.0.1:9/v1", None)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        stream = Stream(params.seed)
        stream.push("an answer")
        stream.completion_tokens = 2**70
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass


def test_a_row_ends_even_when_the_store_refuses_what_a_backend_handed_it(
    workspace: Workspace,
) -> None:
    item = studies.study_items(workspace, studies.ensure_demo_study(workspace).id)[0].item_id
    assistant = Assistant(workspace, _Overcounting(), ModelSettings())  # type: ignore[arg-type]
    event = assistant.request(item, AssistKind.EXPLAIN).wait()
    assert event.outcome is Outcome.ERROR and event.ended_at is not None
    assert event.error is not None and "the answer could not be logged" in event.error


def test_a_request_the_backend_cannot_take_ends_its_row(workspace: Workspace) -> None:
    item = studies.study_items(workspace, studies.ensure_demo_study(workspace).id)[0].item_id
    server = ServerSettings("http://127.0.0.1:9/v1")
    assistant = Assistant.start(workspace, ModelSettings(server=server))
    assistant.close()  # its worker is gone: a request made now cannot be taken
    with pytest.raises(AssistError, match="the request could not start"):
        assistant.request(item, AssistKind.EXPLAIN)
    (event,) = assist_log.events_of_item(workspace.db, item)
    assert event.outcome is Outcome.ERROR and event.ended_at is not None


# --- any JSON at all ----------------------------------------------------------------------

KEYS = st.sampled_from(
    [
        "choices",
        "delta",
        "content",
        "usage",
        "prompt_tokens",
        "completion_tokens",
        "error",
        "message",
        "finish_reason",
        "index",
    ]
) | st.text(max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=16,
)


def _deep(value: Any, depth: int, as_list: bool) -> str:
    """`value` as JSON inside `depth` lists or objects: built as text, which json.dumps
    cannot write past its recursion limit."""
    start, end = ("[", "]") if as_list else ('{"content": ', "}")
    return start * depth + json.dumps(value) + end * depth


CHUNKS = st.one_of(
    VALUES.map(json.dumps),
    VALUES.map(lambda v: json.dumps({"choices": [{"delta": {"content": v}}]})),
    VALUES.map(lambda v: json.dumps({"choices": [v]})),
    VALUES.map(lambda v: json.dumps({"usage": v})),
    VALUES.map(lambda v: json.dumps({"error": v})),
    st.builds(_deep, VALUES, st.integers(0, 3000), st.booleans()),
)


class Holder:
    event = ""


def _any_chunk(handler: BaseHTTPRequestHandler) -> None:
    sse(handler, _chunk("ok "), Holder.event, "[DONE]")


@pytest.fixture(scope="module")
def any_chunk_backend() -> Iterator[tuple[str, OpenAICompatible]]:
    with serving(_any_chunk) as url:
        backend = OpenAICompatible(ServerSettings(url, read_timeout=2, deadline=5))
        yield url, backend
        backend.close()


@pytest.mark.fuzz
@FUZZ
@given(CHUNKS)
def test_any_json_as_a_chunk_is_a_clean_error_or_a_well_formed_answer(
    any_chunk_backend: tuple[str, OpenAICompatible], event: str
) -> None:
    url, backend = any_chunk_backend
    Holder.event = event
    stream = backend.stream([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=64))
    assert stream.wait(HANG), "the request hung"
    chunks = list(stream)
    assert all(isinstance(c, str) for c in chunks)
    if stream.outcome is Outcome.ERROR:
        assert stream.error is not None and url in stream.error and len(stream.error) < 1000
        return
    assert stream.outcome is Outcome.DONE and stream.error is None
    assert stream.text.startswith("ok ") and len(stream.text) <= 64 * 64
    for count in (stream.prompt_tokens, stream.completion_tokens):
        assert count is None or (type(count) is int and 0 <= count < 2**31)
