"""OpenAICompatible: any server that speaks OpenAI's chat completions (llama.cpp's
llama-server or llama-cpp-python's server, vLLM, Ollama), streamed over server-sent events.

This is how a team puts a big model on a GPU box. Requests run one at a time on a worker
thread, like the local backend, so both behave the same to the services above; several at
once, over one or several servers, go through `server_pool.ServerPool`.

The server is not trusted: each field it sends is checked for type and size before use, the
bytes read are capped (an answer by its max_tokens, an error body at a few KiB), a whole
request has a deadline, and an answer the connection cut short is an error, not a short
answer. Whatever goes wrong ends the request with a message naming the server.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from evalstudio.assist.backend import AssistError, GenerationParams, Message, ModelInfo, Stream
from evalstudio.core.assistance import Outcome

DEADLINE = 600.0  # seconds for a whole request, answer included
# Answer text accepted per token asked for: tokens average ~4 characters, and the longest of
# common vocabularies (runs of spaces or dashes) stay well under this.
CHARS_PER_TOKEN = 64
# Bytes read per token asked for: each token comes as one event of 150–400 bytes of JSON;
# the floor covers headers and the role, finish and usage events (and a score's answer).
WIRE_BYTES_PER_TOKEN = 4096
WIRE_BYTES_FLOOR = 1 << 20
ERROR_BODY_BYTES = 4096  # of an error answer: enough for its message
MAX_COUNT = 2**31 - 1  # a token count beyond this is not one
DETAIL_CHARS = 300  # of any text of the server's quoted in a message


@dataclass(frozen=True)
class ServerSettings:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str = ""  # the server's model name; empty lets a one-model server choose
    api_key: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 120.0  # between two reads
    deadline: float = DEADLINE  # for the whole request, however the server trickles
    # Let a seeded request reuse the server's cached prompt prefix (llama.cpp's
    # `cache_prompt`); off, it is evaluated whole (docs/engine.md, "A server's seeded requests").
    prompt_cache: bool = False


class OpenAICompatible:
    """The Backend for an OpenAI-compatible HTTP server."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            # Uncompressed: a byte cap on compressed bytes would bound nothing.
            headers=headers | {"Accept-Encoding": "identity"},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            # A connection per request: the deadline shuts the socket that request opened.
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._where = f"the model server at {self._client.base_url}"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evalstudio-http")

    def info(self) -> ModelInfo:
        return ModelInfo(
            "openai", self.settings.model or "server default", self.settings.base_url, None
        )

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        seed = params.seed if params.seed is not None else random.SystemRandom().getrandbits(31)
        stream = Stream(seed)
        self._executor.submit(self._run, stream, messages, params)
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        """From the server's top_logprobs of the first token; an option the server does not
        list among its top 20 gets -inf."""
        return self._executor.submit(self._score, messages, options).result()

    def score_cached(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        """As `score`: the server keeps its own prompt cache."""
        return self.score(messages, options)

    def warm(self, variants: list[list[Message]]) -> Stream:
        # The server keeps its own prompt cache; a warm-up request would only hold its slot.
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._client.close()

    # --- on the worker thread -------------------------------------------------------------
    def _body(
        self, messages: list[Message], params: GenerationParams, seed: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": seed,
        }
        if self.settings.model:
            body["model"] = self.settings.model
        if params.reproducible and not self.settings.prompt_cache:
            # llama.cpp's server: evaluate the whole prompt, as the local engine does for a
            # seeded request (docs/engine.md, "A server's seeded requests"); others ignore it.
            body["cache_prompt"] = False
        if params.json_schema is not None:
            # "json_schema" is ignored or refused by some servers; json_object with a schema
            # is what llama.cpp's servers enforce, and plain JSON mode elsewhere.
            body["response_format"] = {"type": "json_object", "schema": params.json_schema}
        return body

    def _run(self, stream: Stream, messages: list[Message], params: GenerationParams) -> None:
        unserved = self.serve(stream, messages, params)
        if unserved is not None:
            stream.finish(Outcome.ERROR, unserved)

    def serve(
        self, stream: Stream, messages: list[Message], params: GenerationParams
    ) -> str | None:
        """Run the request on the calling thread. None once the stream has ended (done,
        cancelled, or an error another server would not mend); else why this server failed
        it (unreachable, the connection reset or cut mid-answer, a 5xx), with the stream left
        running, maybe holding part of an answer, for the caller to end or try elsewhere."""
        if stream.cancelled:
            stream.finish(Outcome.CANCELLED)
            return None
        stream.served_by = self.settings.base_url
        body = self._body(messages, params, stream.seed) | {
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        answer = _Answer(stream, params.max_tokens)
        wire = WIRE_BYTES_FLOOR + params.max_tokens * WIRE_BYTES_PER_TOKEN
        too_long = (
            f"sent more than {wire:,} bytes for an answer of at most {params.max_tokens} tokens"
        )
        deadline = _Deadline(self.settings.deadline)
        try:
            with deadline, self._exchange(body, deadline, wire, too_long) as response:
                answer.read(EventSource(response))
        except Exception as e:  # whatever fails must end the request, said
            error = self._describe(e, deadline)
            if _unserved(e) and not deadline.expired and not stream.cancelled:
                return error
            stream.finish(Outcome.ERROR, error)
            return None
        stream.finish(Outcome.CANCELLED if stream.cancelled else Outcome.DONE)
        return None

    def _score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        body = self._body(messages, GenerationParams(max_tokens=1, temperature=0.0), 0) | {
            "logprobs": True,
            "top_logprobs": 20,
        }
        too_long = f"sent more than {WIRE_BYTES_FLOOR:,} bytes for a one-token answer"
        deadline = _Deadline(self.settings.deadline)
        try:
            with deadline, self._exchange(body, deadline, WIRE_BYTES_FLOOR, too_long) as response:
                top = _top_logprobs(_json(response.read()))
        except Exception as e:  # whatever fails is the caller's AssistError
            raise AssistError(self._describe(e, deadline)) from e
        return {option: top.get(option, float("-inf")) for option in options}

    @contextmanager
    def _exchange(
        self, body: dict[str, Any], deadline: _Deadline, limit: int, too_long: str
    ) -> Iterator[httpx.Response]:
        """POST the body; the response once it says 200, its body cut off past `limit`."""
        sse = (
            {"Accept": "text/event-stream", "Cache-Control": "no-store"}
            if body.get("stream")
            else {}
        )
        with self._client.stream(
            "POST",
            "chat/completions",
            json=body,
            headers=sse,
            extensions={"trace": deadline.trace},
        ) as response:
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if not response.is_success:
                raise _Refused(
                    f"answered {response.status_code}{_error_detail(response, encoding)}",
                    unserved=response.status_code >= 500,
                )
            if encoding not in ("identity", ""):
                raise _Refused(f"sent a compressed answer ({encoding[:40]}) when asked for none")
            assert isinstance(response.stream, httpx.SyncByteStream)
            response.stream = _Capped(response.stream, limit, too_long)
            yield response

    def _describe(self, error: Exception, deadline: _Deadline) -> str:
        where = self._where
        if deadline.expired:  # whatever broke, the deadline broke it
            return (
                f"{where} did not finish within the deadline of {deadline.seconds:g} s "
                "(--server-deadline, or Settings › Model › Server deadline)"
            )
        if isinstance(error, _Refused):
            return f"{where} {error}"
        if isinstance(error, httpx.ConnectError):
            return (
                f"cannot reach the model server at {self._client.base_url} "
                f"({_short(str(error))}); is it running?"
            )
        if isinstance(error, httpx.TimeoutException):
            return f"{where} did not answer in time ({type(error).__name__})"
        if isinstance(error, SSEError):
            return f"{where} sent no event stream: {_short(str(error))}"
        return f"{where} failed: {type(error).__name__}: {_short(str(error))}"


class _Refused(Exception):
    """What the server did wrong, as the end of "the model server at URL ...". `unserved`:
    a failure of the server, not of the request (a 5xx, the connection cut)."""

    def __init__(self, message: str, *, unserved: bool = False) -> None:
        super().__init__(message)
        self.unserved = unserved


def _unserved(error: Exception) -> bool:
    """Whether another server might answer what this one failed: it was unreachable, hung
    up or reset, or answered 5xx (a malformed or refused answer is not mended elsewhere)."""
    if isinstance(error, _Refused):
        return error.unserved
    return isinstance(
        error, httpx.ConnectError | httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError
    )


class _Answer:
    """Reads an event stream into a Stream: each field checked, the text capped by the
    answer's max_tokens, and the end required (a finish_reason or `[DONE]`)."""

    def __init__(self, stream: Stream, max_tokens: int) -> None:
        self.stream = stream
        self.max_tokens = max_tokens
        self.limit = max_tokens * CHARS_PER_TOKEN
        self.received = 0
        self.finished = False

    def read(self, source: EventSource) -> None:
        try:
            for event in source.iter_sse():
                if self.stream.cancelled:
                    return  # leaving the exchange closes the connection; the server stops
                if event.data.strip() == "[DONE]":
                    return
                self._take(_json(event.data))
        except (httpx.RemoteProtocolError, httpx.ReadError) as e:
            raise _Refused(
                f"closed the connection mid-answer ({_short(str(e))})", unserved=True
            ) from e
        if not self.finished and not self.stream.cancelled:
            raise _Refused(
                "closed the connection mid-answer (no finish_reason, no [DONE])", unserved=True
            )

    def _take(self, data: Any) -> None:
        data = _object(data, "the event")
        error = data.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            detail = _short(message) if isinstance(message, str) else ""
            raise _Refused(f"reported an error: {detail or '(no message)'}")
        usage = data.get("usage")
        if usage is not None:
            usage = _object(usage, "usage")
            self.stream.prompt_tokens = _count(usage, "prompt_tokens", self.stream.prompt_tokens)
            self.stream.completion_tokens = _count(
                usage, "completion_tokens", self.stream.completion_tokens
            )
        choices = data.get("choices")
        if choices is None:
            return
        if not isinstance(choices, list):
            raise _malformed("choices is not a list")
        for i, choice in enumerate(choices):
            choice = _object(choice, f"choices[{i}]")
            reason = choice.get("finish_reason")
            if reason is not None and not isinstance(reason, str):
                raise _malformed(f"choices[{i}].finish_reason is not text")
            delta = choice.get("delta")
            text = None if delta is None else _object(delta, f"choices[{i}].delta").get("content")
            if text is not None and not isinstance(text, str):
                raise _malformed(f"choices[{i}].delta.content is not text")
            if text:
                self.received += len(text)
                if self.received > self.limit:
                    raise _Refused(
                        f"sent more than {self.limit:,} characters for an answer of at most "
                        f"{self.max_tokens} tokens"
                    )
                self.stream.push(text)
            self.finished = self.finished or reason is not None


class _Capped(httpx.SyncByteStream):
    """A response body that fails once more than `limit` bytes have come."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int, too_long: str) -> None:
        self._inner = inner
        self._limit = limit
        self._too_long = too_long

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        for chunk in self._inner:
            read += len(chunk)
            if read > self._limit:
                raise _Refused(self._too_long)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _Deadline:
    """Ends the exchange in its block once it runs past `seconds`, whatever the server sends
    meanwhile (a keep-alive comment every few seconds, headers that never end): it shuts the
    connection's socket down, which wakes the read blocked on it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: keep the socket of the connection the request opens."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            with self._lock:
                self._socket = info["return_value"].get_extra_info("socket")
                if self.expired:
                    self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with suppress(OSError):  # closed already: the exchange ended meanwhile
                self._socket.shutdown(socket.SHUT_RDWR)


def _json(data: str | bytes) -> Any:
    try:
        return json.loads(data, parse_constant=_not_json)
    except RecursionError:
        raise _malformed("JSON nested too deep") from None
    except ValueError as e:  # not JSON, NaN or Infinity, an integer of over 4,300 digits
        raise _malformed(f"not JSON ({_short(str(e))})") from None


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _malformed(why: str) -> _Refused:
    return _Refused(f"sent a malformed event: {why}")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    return value


def _count(usage: dict[str, Any], name: str, before: int | None) -> int | None:
    value = usage.get(name, before)
    if value is None or (type(value) is int and 0 <= value <= MAX_COUNT):
        return value
    raise _malformed(f"usage.{name} is not a token count")


def _top_logprobs(data: Any) -> dict[str, float]:
    """token → log-probability, from a one-token answer's logprobs."""
    choices = _object(data, "the answer").get("choices")
    if not isinstance(choices, list) or not choices:
        raise _malformed("no choices")
    logprobs = _object(_object(choices[0], "choices[0]").get("logprobs"), "choices[0].logprobs")
    content = logprobs.get("content")
    if not isinstance(content, list) or not content:
        raise _malformed("no logprobs.content")
    top = _object(content[0], "logprobs.content[0]").get("top_logprobs")
    if not isinstance(top, list):
        raise _malformed("top_logprobs is not a list")
    scores = {}
    for i, entry in enumerate(top):
        entry = _object(entry, f"top_logprobs[{i}]")
        token, logprob = entry.get("token"), entry.get("logprob")
        if not isinstance(token, str):
            raise _malformed(f"top_logprobs[{i}].token is not text")
        # Bounded below too: float() of a huge integer overflows.
        if (
            not isinstance(logprob, int | float)
            or isinstance(logprob, bool)
            or not -1e9 <= logprob <= 0
        ):
            raise _malformed(f"top_logprobs[{i}].logprob is not a log-probability")
        scores[token] = float(logprob)
    return scores


def _error_detail(response: httpx.Response, encoding: str) -> str:
    """ ": " and the start of an error answer's body, read no further than that."""
    if encoding not in ("identity", ""):
        return ""
    body = b""
    for chunk in response.iter_raw():
        body += chunk
        if len(body) >= ERROR_BODY_BYTES:
            break
    detail = _short(body[:ERROR_BODY_BYTES].decode("utf-8", "replace"))
    return f": {detail}" if detail else ""


def _short(text: str) -> str:
    """The server's text as one line, cut to DETAIL_CHARS."""
    return " ".join(text[: DETAIL_CHARS * 2].split())[:DETAIL_CHARS]
