"""Model settings and the backend they make: the bundled model by default, any GGUF file,
or an OpenAI-compatible server."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evalstudio.assist.backend import Backend, Message, ModelInfo
from evalstudio.assist.local_llama import KV_CACHE_TYPES, LocalLlama, LocalSettings
from evalstudio.assist.openai_http import DEADLINE as SERVER_DEADLINE
from evalstudio.assist.openai_http import OpenAICompatible, ServerSettings
from evalstudio.assist.server_pool import ServerPool
from evalstudio.core.errors import EvalStudioError
from evalstudio.services.workspace.opening import Workspace
from evalstudio.services.workspace.resources import bundled_model
from evalstudio.store import assist_log

__all__ = [
    "KV_CACHE_TYPES",
    "SERVER_DEADLINE",
    "Backend",
    "LocalSettings",
    "Message",
    "ModelSettings",
    "ServerSettings",
    "model_settings",
    "model_sha256",
    "open_backend",
]


@dataclass(frozen=True)
class ModelSettings:
    """Where the assistance comes from: a server if `server` is set (with `more_servers` of
    the same model beside it), else a local GGUF. `concurrency`: requests in flight at once
    over the servers; a local model answers one at a time whatever it says."""

    local: LocalSettings | None = None
    server: ServerSettings | None = None
    max_tokens: int = 512
    temperature: float = 0.7
    more_servers: tuple[ServerSettings, ...] = ()
    concurrency: int = 1

    @property
    def in_flight(self) -> int:
        """How many requests the backend takes at once."""
        return self.concurrency if self.server is not None else 1

    def local_settings(self) -> LocalSettings:
        return self.local or LocalSettings(bundled_model())

    def backend_and_model(self) -> tuple[str, str]:
        """The backend name and model id the log will carry, known before anything loads."""
        if self.server is not None:
            return "openai", self.server.model or "server default"
        return "local", self.local_settings().model_path.stem

    def uses_bundled_model(self) -> bool:
        """Whether the model is the small demo model shipped with EvalStudio, chosen by default
        or by its path (its answers are mostly wrong: the app warns)."""
        if self.server is not None:
            return False
        try:
            bundled = bundled_model().resolve()
        except EvalStudioError:  # not installed: whatever runs is someone's own choice
            return False
        return self.local is None or self.local.model_path.resolve() == bundled


def model_settings(
    model_path: Path | None = None,
    server: str | None = None,
    server_model: str = "",
    more_servers: Sequence[str] = (),
    concurrency: int = 1,
    api_key: str | None = None,
    threads: int | None = None,
    n_ctx: int = 4096,
    gpu_layers: int = 0,
    max_tokens: int = 512,
    kv_cache: str = "q8_0",
    server_deadline: float = SERVER_DEADLINE,
) -> ModelSettings:
    """Settings from the options a user sets (CLI flags or the settings dialog): a server URL
    wins over a model file; no file means the bundled model; no thread count means all cores.
    `more_servers`: further base URLs serving the same model."""
    if server:
        first, *more = (
            ServerSettings(url, server_model, api_key, deadline=server_deadline)
            for url in (server, *more_servers)
        )
        return ModelSettings(
            server=first, max_tokens=max_tokens, more_servers=tuple(more), concurrency=concurrency
        )
    defaults = LocalSettings(model_path or bundled_model())
    threads = threads or defaults.n_threads
    local = LocalSettings(
        defaults.model_path,
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        n_gpu_layers=gpu_layers,
        kv_cache=kv_cache if kv_cache in KV_CACHE_TYPES else "q8_0",
    )
    return ModelSettings(local=local, max_tokens=max_tokens)


def open_backend(settings: ModelSettings) -> Backend:
    """Start the backend; a local model loads in the background (see Backend.info)."""
    if settings.server is not None:
        if settings.more_servers or settings.concurrency > 1:
            return ServerPool((settings.server, *settings.more_servers), settings.concurrency)
        return OpenAICompatible(settings.server)
    return LocalLlama(settings.local_settings())


def model_sha256(workspace: Workspace, info: ModelInfo) -> str | None:
    """SHA-256 of a local model file, computed once per file version and kept in the store."""
    if info.backend != "local" or info.path is None:
        return None
    path = Path(info.path)
    stat = path.stat()
    db = workspace.db
    cached = assist_log.cached_sha256(db, str(path), stat.st_size, stat.st_mtime_ns)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    with db.atomic():
        assist_log.cache_sha256(db, str(path), stat.st_size, stat.st_mtime_ns, digest.hexdigest())
    return digest.hexdigest()
