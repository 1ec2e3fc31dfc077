"""Several servers of one model behind one backend: a request goes to the least busy server,
one that fails (refused, 5xx, the connection cut mid-answer) is retried on another, and the
log names the server that answered. The servers are real HTTP servers on 127.0.0.1 started
and stopped by the tests (scripted replies, no model)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler

from support.http_servers import serving, sse

from evalstudio.assist.backend import GenerationParams
from evalstudio.assist.openai_http import ServerSettings
from evalstudio.assist.server_pool import ServerPool
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import model_settings
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log

MESSAGES = [{"role": "user", "content": "hi"}]


def _answer(text: str) -> Callable[[BaseHTTPRequestHandler], None]:
    chunk = {"choices": [{"delta": {"content": text}, "finish_reason": "stop"}]}
    return lambda h: sse(h, json.dumps(chunk), "[DONE]")


def _http_500(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(500)
    handler.end_headers()


def _cut_mid_answer(handler: BaseHTTPRequestHandler) -> None:
    chunk = {"choices": [{"delta": {"content": "half an ans"}, "finish_reason": None}]}
    sse(handler, json.dumps(chunk))  # and the connection closes: no finish, no [DONE]


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there once closed


def _pool(*urls: str, in_flight: int = 1) -> ServerPool:
    return ServerPool(
        [ServerSettings(u, connect_timeout=2, read_timeout=5) for u in urls], in_flight
    )


def test_a_request_a_server_fails_is_answered_by_another_which_is_named() -> None:
    for failing in (_http_500, _cut_mid_answer):
        with serving(failing) as bad, serving(_answer("from the good one")) as good:
            pool = _pool(bad, good)
            try:
                stream = pool.stream(MESSAGES, GenerationParams(max_tokens=16))
                stream.wait()
            finally:
                pool.close()
        assert (stream.outcome, stream.text, stream.served_by) == (
            Outcome.DONE,
            "from the good one",  # not "half an answer" first: the attempt is discarded
            good,
        )


def test_an_unreachable_server_is_passed_over_and_every_server_failing_is_said() -> None:
    with serving(_answer("ok")) as good:
        pool = _pool(_closed_port(), good)
        try:
            stream = pool.stream(MESSAGES, GenerationParams(max_tokens=16))
            stream.wait()
        finally:
            pool.close()
    assert (stream.outcome, stream.served_by) == (Outcome.DONE, good)

    dead = _closed_port()
    with serving(_http_500) as broken:
        pool = _pool(dead, broken)
        try:
            stream = pool.stream(MESSAGES, GenerationParams(max_tokens=16))
            stream.wait()
        finally:
            pool.close()
    assert stream.outcome is Outcome.ERROR
    assert stream.error is not None and stream.error.startswith("every server failed")
    assert "answered 500" in stream.error and "cannot reach" in stream.error


def test_requests_go_to_the_least_busy_server() -> None:
    release = threading.Event()

    def held(text: str) -> Callable[[BaseHTTPRequestHandler], None]:
        def reply(handler: BaseHTTPRequestHandler) -> None:
            release.wait(10)
            _answer(text)(handler)

        return reply

    with ExitStack() as servers:
        urls = [servers.enter_context(serving(held(f"server {n}"))) for n in range(3)]
        pool = _pool(*urls, in_flight=6)
        try:
            streams = [pool.stream(MESSAGES, GenerationParams(max_tokens=8)) for _ in range(6)]
            release.set()
            for stream in streams:
                stream.wait()
        finally:
            pool.close()
    served = sorted(s.served_by or "" for s in streams)
    assert served == sorted(urls * 2)  # two each: never a third while another had fewer


def test_the_assist_log_names_the_server_that_answered(workspace: Workspace) -> None:
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0].item_id
    with serving(_http_500) as bad, serving(_answer('{"points": []}')) as good:
        settings = model_settings(server=bad, more_servers=[good], concurrency=2)
        assistant = Assistant.start(workspace, settings)
        try:
            event = assistant.request(item, AssistKind.EXPLAIN).wait()
        finally:
            assistant.close()
    assert event.outcome is Outcome.DONE
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["served_by"] == good
