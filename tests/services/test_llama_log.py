"""llama.cpp's log lines reach Python's logging, not the terminal: checked on the process's
own stderr (file descriptor 2, where the C library writes), in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# The child loads a file that is not a model through llama.cpp's C API (no inference): llama.cpp
# logs three error lines about it. Routed, they arrive in logging (printed to stdout here).
CHILD = textwrap.dedent(
    """
    import logging, sys
    from pathlib import Path
    import llama_cpp

    if sys.argv[1] == "app":
        from evalstudio.assist.backend import AssistError
        from evalstudio.assist.local_llama import LocalLlama, LocalSettings

        logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="logged: %(message)s")
        bogus = Path(sys.argv[2])
        try:
            LocalLlama(LocalSettings(bogus, n_ctx=256)).info()
        except AssistError as e:
            print("refused by the app:", e, flush=True)
    params = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(b"/nonexistent/model.gguf", params)
    print("refused" if not model else "loaded", flush=True)
    """
)


def _run(mode: str, bogus: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(bogus)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_llama_cpp_log_lines_go_to_logging_not_to_stderr(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)  # passes the magic check, fails to load
    plain = _run("plain", bogus)  # llama-cpp-python on its own: the lines are on stderr
    assert "llama_model_load: error loading model" in plain.stderr
    app = _run("app", bogus)
    assert app.returncode == 0, app.stderr
    assert app.stderr == ""
    assert "bogus.gguf: cannot load the model" in app.stdout
    assert "logged: llama_model_load: error loading model" in app.stdout


@pytest.mark.model
def test_a_stopped_request_prints_nothing_on_stderr() -> None:
    # Stopped during prompt evaluation, llama.cpp logs "decode: removing memory module
    # entries ..." as an error: the line the terminal used to show at every Stop.
    script = textwrap.dedent(
        """
        import logging, sys
        from evalstudio.assist.backend import GenerationParams
        from evalstudio.assist.local_llama import LocalLlama, LocalSettings
        from evalstudio.services.workspace.resources import bundled_model

        logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="logged: %(message)s")
        llm = LocalLlama(LocalSettings(bundled_model()))
        llm.info()
        text = "\\n".join(f"value_{n} = compute({n}, factor={n * 7})" for n in range(150))
        stream = llm.stream([{"role": "user", "content": text}], GenerationParams(max_tokens=5))
        while stream.prompt_tokens is None:
            pass
        stream.cancel()
        list(stream)
        print("outcome:", stream.outcome.value, stream.error, flush=True)
        llm.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert "outcome: cancelled" in done.stdout, done.stderr
    assert "removing memory module entries" in done.stdout  # it was said, to the log
    assert done.stderr == ""
