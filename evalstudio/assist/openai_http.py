"""OpenAICompatible: any server that speaks OpenAI's chat completions (llama.cpp's
llama-server or llama-cpp-python's server, vLLM, Ollama), streamed over server-sent events.

This is how a team puts a big model on a GPU box. Requests run one at a time on a worker
thread, like the local backend, so both behave the same to the services above.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse

from evalstudio.assist.backend import AssistError, GenerationParams, Message, ModelInfo, Stream
from evalstudio.core.assistance import Outcome


@dataclass(frozen=True)
class ServerSettings:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str = ""  # the server's model name; empty lets a one-model server choose
    api_key: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 120.0  # between two chunks, not for the whole answer


class OpenAICompatible:
    """The Backend for an OpenAI-compatible HTTP server."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        )
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
        if params.json_schema is not None:
            # "json_schema" is ignored or refused by some servers; json_object with a schema
            # is what llama.cpp's servers enforce, and plain JSON mode elsewhere.
            body["response_format"] = {"type": "json_object", "schema": params.json_schema}
        return body

    def _run(self, stream: Stream, messages: list[Message], params: GenerationParams) -> None:
        if stream.cancelled:
            stream.finish(Outcome.CANCELLED)
            return
        body = self._body(messages, params, stream.seed) | {
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        try:
            with connect_sse(self._client, "POST", "chat/completions", json=body) as source:
                _raise_for_status(source.response, self._client.base_url)
                for event in source.iter_sse():
                    if stream.cancelled:
                        break  # leaving the block closes the connection; the server stops
                    if event.data.strip() == "[DONE]":
                        break
                    _take_chunk(stream, json.loads(event.data))
        except (httpx.HTTPError, SSEError, AssistError) as e:
            stream.finish(Outcome.ERROR, _describe(e, self._client.base_url))
            return
        except (TypeError, AttributeError, KeyError, ValueError) as e:  # not JSON, or not ours
            where = self._client.base_url
            stream.finish(Outcome.ERROR, f"the model server at {where} sent a malformed event: {e}")
            return
        stream.finish(Outcome.CANCELLED if stream.cancelled else Outcome.DONE)

    def _score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        body = self._body(messages, GenerationParams(max_tokens=1, temperature=0.0), 0) | {
            "logprobs": True,
            "top_logprobs": 20,
        }
        try:
            response = self._client.post("chat/completions", json=body)
            _raise_for_status(response, self._client.base_url)
            content = response.json()["choices"][0]["logprobs"]["content"][0]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as e:
            raise AssistError(_describe(e, self._client.base_url)) from e
        top = {entry["token"]: float(entry["logprob"]) for entry in content["top_logprobs"]}
        return {option: top.get(option, float("-inf")) for option in options}


def _take_chunk(stream: Stream, data: dict[str, Any]) -> None:
    if "error" in data:
        error = data["error"]
        detail = error.get("message", error) if isinstance(error, dict) else error
        raise AssistError(f"the model server reported an error: {detail}")
    usage = data.get("usage")
    if usage:
        stream.prompt_tokens = usage.get("prompt_tokens")
        stream.completion_tokens = usage.get("completion_tokens")
    for choice in data.get("choices") or ():
        text = (choice.get("delta") or {}).get("content")
        if text:
            stream.push(text)


def _raise_for_status(response: httpx.Response, base_url: httpx.URL) -> None:
    if response.is_success:
        return
    response.read()
    detail = response.text[:300].strip()
    raise AssistError(f"the model server at {base_url} answered {response.status_code}: {detail}")


def _describe(error: Exception, base_url: httpx.URL) -> str:
    if isinstance(error, AssistError):
        return error.message if str(base_url) in error.message else f"{base_url}: {error.message}"
    if isinstance(error, httpx.ConnectError):
        return f"cannot reach the model server at {base_url} ({error}); is it running?"
    if isinstance(error, httpx.TimeoutException):
        return f"the model server at {base_url} did not answer in time ({type(error).__name__})"
    return f"the model server at {base_url} failed: {type(error).__name__}: {error}"
