"""llama.cpp's own HTTP server (`llama-server`), a real batching server with several slots,
serving the bundled model on 127.0.0.1 for a test or the bench and stopped after it.

`make llama-server` (a dependency of `make test`) compiles it once into the cache next to the
llama-cpp-python wheel; `EVALSTUDIO_LLAMA_SERVER` may name another build.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from evalstudio.services.workspace.resources import bundled_model

LLAMA_CPP_VERSION = "0.3.36"  # the Makefile's LLAMA_CPP_VERSION
# Read when this module is imported: the tests point HOME and XDG_CACHE_HOME at a temp folder.
_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
BINARY = Path(
    os.environ.get("EVALSTUDIO_LLAMA_SERVER")
    or _CACHE / "evalstudio" / f"llama-server-{LLAMA_CPP_VERSION}" / "llama-server"
)
SLOT_CONTEXT = 4096  # tokens per slot: the in-process engine's n_ctx


def missing_reason() -> str | None:
    """Why no llama-server can run here, or None. Only a missing C++ compiler is a reason
    (`make llama-server` gets cmake from pip): no binary with a compiler at hand is the
    build's fault, and the start then fails saying to run it."""
    if BINARY.is_file() or shutil.which("c++") is not None:
        return None
    return "llama-server is not built and there is no C++ compiler to build it"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(
    log: Path, *, slots: int = 4, threads: int = 2, extra: tuple[str, ...] = ()
) -> Iterator[LlamaServer]:
    """A llama-server with the bundled model and `slots` parallel slots, until the block
    ends. Its log goes to the file `log` (a pipe nobody reads would fill and block it)."""
    if not BINARY.is_file():
        raise RuntimeError(f"{BINARY} is missing: run `make llama-server` once to compile it")
    server = LlamaServer(log, slots, threads, extra)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class LlamaServer:
    def __init__(self, log: Path, slots: int, threads: int, extra: tuple[str, ...] = ()) -> None:
        self.log = log
        self.extra = extra
        self.slots = slots
        self.threads = threads
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            str(BINARY),
            "--model",
            str(bundled_model()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--parallel",
            str(self.slots),
            # Each slot gets the in-process engine's context; one KV buffer per slot.
            "--ctx-size",
            str(SLOT_CONTEXT * self.slots),
            "--no-kv-unified",
            "--threads",
            str(self.threads),
            "--threads-batch",
            str(self.threads),
            "--no-webui",
            # Flash attention's CPU kernel gives a sequence other numbers when other slots'
            # tokens share its batch: off, a seeded request gives the same text alone or
            # beside others (docs/engine.md, "A server's seeded requests").
            "--flash-attn",
            "off",
            *self.extra,
        ]

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama-server exited with {self.process.returncode}: "
                    f"{self.log.read_text(errors='replace')[-2000:]}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama-server did not become ready in {timeout:g} s")

    def kill(self) -> None:
        """Kill it at once (SIGKILL), as a server that dies mid-run."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
