"""Files shipped with EvalStudio under resources/: the demo study, guidelines, prompts."""

from __future__ import annotations

import sys
from pathlib import Path

from evalstudio.assist.model_files import bundled_model_path


def resources_dir() -> Path:
    """resources/ beside the package in a checkout, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def demo_dir() -> Path:
    return resources_dir() / "demo"


def demo_comparisons_file() -> Path:
    """The demo comparison study's definition (pairs side by side, rankings, a rubric)."""
    return resources_dir() / "demo-compare" / "study.toml"


def bundled_model() -> Path:
    """The default model file (SmolLM2-135M-Instruct GGUF) shipped with EvalStudio."""
    return bundled_model_path()
