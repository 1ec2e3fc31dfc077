"""The models of a model evaluator's run: the judge (its own model) and the assistant it asks,
each named as the user gave it ("bundled", a GGUF path, or a server URL) with its settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from evalstudio.assist.backend import Backend
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model_evaluator import ModelRole
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import (
    ModelSettings,
    model_settings,
    model_sha256,
    open_backend,
)
from evalstudio.services.workspace.opening import Workspace


@dataclass(frozen=True)
class Role:
    """A model and how to run it in one role: what the user named it, and its settings."""

    spec: str  # "bundled", a GGUF path, or a server URL (shown and stored as given)
    settings: ModelSettings


@contextmanager
def open_roles(
    workspace: Workspace, evaluator: Role, assistant: Role, adversary: Role | None = None
) -> Iterator[tuple[Backend, Assistant]]:
    """The judge's backend and the assistant (with its `adversary` writing the manipulated
    responses, if given); a model is loaded once however many roles use it."""
    opened: list[tuple[object, Backend]] = []

    def backend_of(role: Role) -> Backend:
        engine = _engine(role.settings)
        for known, backend in opened:
            if known == engine:
                return backend
        backend = open_backend(role.settings)
        opened.append((engine, backend))
        return backend

    helper: Assistant | None = None
    try:
        judge = backend_of(evaluator)
        helper = Assistant(
            workspace,
            backend_of(assistant),
            assistant.settings,
            adversary=backend_of(adversary) if adversary is not None else None,
        )
        yield judge, helper
    finally:
        if helper is not None:
            helper.stop_warming()
        for _, backend in reversed(opened):
            backend.close()


def _engine(settings: ModelSettings) -> object:
    """What decides which model answers (sampling settings aside)."""
    if settings.server is not None:
        return (settings.server, settings.more_servers, settings.concurrency)
    return settings.local_settings()


def describe(workspace: Workspace, role: Role, backend: Backend) -> ModelRole:
    info = backend.info()
    return ModelRole(
        spec=role.spec,
        backend=info.backend,
        model_id=info.model_id,
        sha256=model_sha256(workspace, info),
        temperature=role.settings.temperature,
        max_tokens=role.settings.max_tokens,
    )


def role(
    spec: str,
    *,
    max_tokens: int,
    temperature: float,
    api_key: str | None = None,
    threads: int | None = None,
    n_ctx: int = 4096,
    concurrency: int = 1,
) -> Role:
    """A role from what the user names: "bundled", a GGUF file, or an OpenAI-compatible server
    as its base URL with the model after a '#' (http://gpu-box:8080/v1#qwen2.5-7b); several
    servers of one model comma-separated (http://a:8080/v1#m,http://b:8080/v1#m), requests
    going to the least busy, `concurrency` of them at once."""
    if spec.startswith(("http://", "https://")):
        urls, model = _servers(spec)
        settings = model_settings(
            server=urls[0],
            server_model=model,
            more_servers=urls[1:],
            concurrency=concurrency,
            api_key=api_key,
        )
    else:
        path = None if spec == "bundled" else Path(spec)
        settings = model_settings(path, threads=threads, n_ctx=n_ctx)
    return Role(spec, replace(settings, max_tokens=max_tokens, temperature=temperature))


def _servers(spec: str) -> tuple[list[str], str]:
    """The base URLs and the one model of "URL#model,URL#model,..." (a part without '#' names
    the same model as the others)."""
    urls, models = [], set()
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if not part.startswith(("http://", "https://")):
            raise EvalStudioError(f"'{part}' is not a server's URL", where="a server list")
        url, hash_, model = part.partition("#")
        urls.append(url)
        if hash_:
            models.add(model)
    if len(models) > 1:
        raise EvalStudioError(
            f"the servers name different models ({', '.join(sorted(models))}): a role's servers "
            "must serve the same model",
            where="a server list",
        )
    return urls, models.pop() if models else ""
