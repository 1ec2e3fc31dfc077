"""What the app remembers between runs (QSettings): model options, keys, recent studies, layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from evalstudio.services.assistance.backends import SERVER_DEADLINE, ModelSettings, model_settings

MAX_RECENT = 8


@dataclass(frozen=True)
class ModelOptions:
    """The settings dialog's model fields; empty/zero means the default."""

    model_path: str = ""
    threads: int = 0
    gpu_layers: int = 0
    context: int = 4096
    server_url: str = ""
    server_model: str = ""
    server_deadline: int = int(SERVER_DEADLINE)  # seconds
    max_tokens: int = 512
    kv_cache: str = "q8_0"

    def model_settings(self) -> ModelSettings:
        return model_settings(
            model_path=Path(self.model_path) if self.model_path else None,
            server=self.server_url or None,
            server_model=self.server_model,
            server_deadline=self.server_deadline,
            threads=self.threads or None,
            n_ctx=self.context,
            gpu_layers=self.gpu_layers,
            max_tokens=self.max_tokens,
            kv_cache=self.kv_cache,
        )


class AppSettings:
    def __init__(self) -> None:
        self._q = QSettings("EvalStudio", "EvalStudio")

    def model_options(self) -> ModelOptions:
        q, d = self._q, ModelOptions()
        return ModelOptions(
            model_path=str(q.value("model/path", d.model_path)),
            threads=self._int("model/threads", d.threads),
            gpu_layers=self._int("model/gpu_layers", d.gpu_layers),
            context=self._int("model/context", d.context),
            server_url=str(q.value("model/server_url", d.server_url)),
            server_model=str(q.value("model/server_model", d.server_model)),
            server_deadline=max(1, self._int("model/server_deadline", d.server_deadline)),
            max_tokens=self._int("model/max_tokens", d.max_tokens),
            kv_cache=str(q.value("model/kv_cache", d.kv_cache)),
        )

    def _int(self, key: str, default: int) -> int:
        """An integer setting; a value edited by hand into something else reads as the default."""
        try:
            return int(str(self._q.value(key, default)))
        except ValueError:
            return default

    def set_model_options(self, options: ModelOptions) -> None:
        for key, value in (
            ("path", options.model_path),
            ("threads", options.threads),
            ("gpu_layers", options.gpu_layers),
            ("context", options.context),
            ("server_url", options.server_url),
            ("server_model", options.server_model),
            ("server_deadline", options.server_deadline),
            ("max_tokens", options.max_tokens),
            ("kv_cache", options.kv_cache),
        ):
            self._q.setValue(f"model/{key}", value)

    def shortcuts(self) -> dict[str, str]:
        self._q.beginGroup("shortcuts")
        try:
            return {key: str(self._q.value(key)) for key in self._q.childKeys()}
        finally:
            self._q.endGroup()

    def set_shortcuts(self, overrides: dict[str, str]) -> None:
        self._q.remove("shortcuts")
        for key, value in overrides.items():
            self._q.setValue(f"shortcuts/{key}", value)

    def recent_studies(self) -> list[tuple[str, str]]:
        """(workspace path, study name), newest first."""
        entries = self._q.value("recent/studies", [])
        if not isinstance(entries, list):  # one entry reads back as a str; junk as anything
            entries = [entries] if isinstance(entries, str) else []
        pairs = [e.split("\n", 1) for e in entries if isinstance(e, str) and "\n" in e]
        return [(p[0], p[1]) for p in pairs]

    def add_recent_study(self, workspace: Path, study: str) -> None:
        entry = (str(workspace), study)
        recent = [entry] + [r for r in self.recent_studies() if r != entry]
        self._q.setValue("recent/studies", [f"{w}\n{s}" for w, s in recent[:MAX_RECENT]])

    def appearance(self) -> str:
        """'system', 'light' or 'dark'."""
        value = str(self._q.value("look/appearance", "system"))
        return value if value in ("system", "light", "dark") else "system"

    def set_appearance(self, value: str) -> None:
        self._q.setValue("look/appearance", value)

    def last_evaluator(self) -> str:
        return str(self._q.value("review/evaluator", ""))

    def set_last_evaluator(self, evaluator_id: str) -> None:
        self._q.setValue("review/evaluator", evaluator_id)

    def layout(self, name: str) -> QByteArray | None:
        value = self._q.value(f"layout/{name}")
        return value if isinstance(value, QByteArray) else None

    def set_layout(self, name: str, state: QByteArray) -> None:
        self._q.setValue(f"layout/{name}", state)
