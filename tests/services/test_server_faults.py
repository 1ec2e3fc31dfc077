"""An OpenAI-compatible server that misbehaves: one that hangs, one that sends malformed
server-sent events, one that answers an error. Each request ends in a clear, logged error
within its timeout — the request never hangs, nothing else is affected. The servers are real
HTTP servers on 127.0.0.1, started and stopped by the tests (faults, not a model)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from support.http_servers import Reply, serving, sse

from evalstudio.assist.openai_http import ServerSettings
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace


def _hang(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(5)  # longer than the read timeout of the test's settings


REPLIES: dict[str, tuple[Reply, str]] = {
    "hangs": (_hang, "did not answer in time"),
    "not json": (lambda h: sse(h, "{not json"), "sent a malformed event"),
    "wrong shape": (lambda h: sse(h, '{"choices": 5}'), "sent a malformed event"),
    "no choices": (lambda h: sse(h, '{"object": "chat.completion.chunk"}', "[DONE]"), ""),
    "an error object": (
        lambda h: sse(h, '{"error": {"message": "out of memory"}}'),
        "out of memory",
    ),
    "http 500": (lambda h: (h.send_response(500), h.end_headers()), "answered 500"),
}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    reply, _ = REPLIES[request.param]
    with serving(reply) as url:
        yield url


@pytest.mark.parametrize("server", list(REPLIES), indirect=True)
def test_a_misbehaving_server_ends_the_request_with_a_clear_logged_error(
    server: str, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    _, expected = REPLIES[request.node.callspec.params["server"]]
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0].item_id
    settings = ServerSettings(server, connect_timeout=2, read_timeout=1)
    assistant = Assistant.start(workspace, ModelSettings(server=settings))
    started = time.monotonic()
    try:
        event = assistant.request(item, AssistKind.CRITIQUE).wait()
    finally:
        assistant.close()
    assert time.monotonic() - started < 4  # the timeout, not the server, decides
    if not expected:  # a stream with no text is an empty answer, not a failure
        assert event.outcome is Outcome.DONE and event.response == ""
        return
    assert event.outcome is Outcome.ERROR, event
    assert event.error is not None and expected in event.error and server in event.error, event
    assert "Traceback" not in event.error
